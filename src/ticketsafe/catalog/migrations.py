"""The catalog's schema migrations (versions 200–299)."""

from __future__ import annotations

from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.venues import repository as venue_repository

MIGRATIONS = [*venue_repository.MIGRATIONS, *event_repository.MIGRATIONS]
