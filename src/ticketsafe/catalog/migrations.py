"""The catalog's schema migrations (versions 200–299)."""

from __future__ import annotations

from ticketsafe.catalog import event_repository, venue_repository

MIGRATIONS = [*venue_repository.MIGRATIONS, *event_repository.MIGRATIONS]
