"""Every migration of every domain, in version order. Domains own their migrations; this
module only lists them (versions are global so the order is total)."""

from __future__ import annotations

from ticketsafe.infra import audit
from ticketsafe.infra.migrations import Migration, check_order
from ticketsafe.waitingroom import migrations as waitingroom

MIGRATIONS: list[Migration] = sorted(
    [*audit.MIGRATIONS, *waitingroom.MIGRATIONS], key=lambda m: m.version
)
check_order(MIGRATIONS)
