"""Every migration of every domain, in version order. Domains own their migrations; this
module only lists them (versions are global so the order is total)."""

from __future__ import annotations

from ticketsafe.catalog import migrations as catalog
from ticketsafe.infra import audit
from ticketsafe.infra.migrations import Migration, check_order

MIGRATIONS: list[Migration] = sorted(
    [*audit.MIGRATIONS, *catalog.MIGRATIONS], key=lambda m: m.version
)
check_order(MIGRATIONS)
