"""Every migration of every domain, in version order. Domains own their migrations; this
module only lists them (versions are global so the order is total)."""

from __future__ import annotations

from ticketsafe.catalog import migrations as catalog
from ticketsafe.checkin import repository as checkin_repository
from ticketsafe.identity import migrations as identity
from ticketsafe.infra import audit, vault
from ticketsafe.infra.migrations import Migration, check_order
from ticketsafe.inventory import repository as inventory_repository
from ticketsafe.mail import outbox as mail_outbox
from ticketsafe.orders import repository as orders_repository
from ticketsafe.payments import repository as payments_repository
from ticketsafe.tickets import repository as tickets_repository
from ticketsafe.waitingroom import migrations as waitingroom
from ticketsafe.webhooks import repository as webhooks_repository

MIGRATIONS: list[Migration] = sorted(
    [
        *audit.MIGRATIONS,
        *vault.MIGRATIONS,
        *identity.MIGRATIONS,
        *mail_outbox.MIGRATIONS,
        *catalog.MIGRATIONS,
        *inventory_repository.MIGRATIONS,
        *orders_repository.MIGRATIONS,
        *payments_repository.MIGRATIONS,
        *webhooks_repository.MIGRATIONS,
        *tickets_repository.MIGRATIONS,
        *checkin_repository.MIGRATIONS,
        *waitingroom.MIGRATIONS,
    ],
    key=lambda m: m.version,
)
check_order(MIGRATIONS)
