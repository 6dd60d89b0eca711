"""Every background job and periodic task of every domain. Domains declare handlers in
their own `tasks.py`; this module only gathers them for the worker."""

from __future__ import annotations

from ticketsafe.catalog.events import tasks as catalog_tasks
from ticketsafe.identity import key_epochs
from ticketsafe.identity import tasks as identity_tasks
from ticketsafe.identity.tasks import ErasureHook
from ticketsafe.infra.crypto.keyring import load_keyring
from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory import tasks as inventory_tasks
from ticketsafe.mail import tasks as mail_tasks
from ticketsafe.mail.transport import SmtpTransport
from ticketsafe.onsale.service import supply_probe, worker_listeners
from ticketsafe.ops import tasks as ops_tasks
from ticketsafe.ops.backup import tasks as backup_tasks
from ticketsafe.orders import tasks as order_tasks
from ticketsafe.orders.erasure import forget_buyer
from ticketsafe.orders.events import OrderListeners
from ticketsafe.payments import tasks as payment_tasks
from ticketsafe.realtime import me_feed as live_me
from ticketsafe.realtime import order_feed as live_orders
from ticketsafe.tickets import tasks as ticket_tasks
from ticketsafe.waitingroom import tasks as waitingroom
from ticketsafe.webhooks import tasks as webhook_tasks

# Called with (ctx, person_id) after a person's erasure; each domain adds its own here.
# Every domain keeping a person's blind index or sealed fields drops them (identity's own
# are dropped by the erasure itself; docs/personal-data.md lists what each domain keeps).
ERASURE_HOOKS: list[ErasureHook] = [forget_buyer, mail_tasks.drop_mail_of_erased]


def build_registry(settings: Settings) -> JobRegistry:
    registry = JobRegistry()
    identity_tasks.register(registry, ERASURE_HOOKS)
    transport = (
        SmtpTransport(settings.smtp_url.get_secret_value(), settings.mail_from)
        if settings.smtp_url is not None
        else None
    )
    keyring = load_keyring(settings)
    mail_tasks.register(registry, keyring, transport)
    payment_tasks.register(registry)
    order_tasks.register(registry, keyring)
    webhook_tasks.register(registry)
    # Who reacts to an order's state changes (`orders.events`): the composition root.
    order_listeners = OrderListeners()
    ticket_tasks.register(registry, order_listeners, keyring, on_issued=live_me.tickets_issued)
    live_orders.subscribe(order_listeners)  # the buyer's `me` live channel
    order_listeners.register(registry)
    return registry


def periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    keyring = load_keyring(settings)
    return [
        *inventory_tasks.periodic_tasks(),
        *waitingroom.periodic_tasks(supply_probe),
        *order_tasks.periodic_tasks(
            keyring, reconcile_interval_s=settings.payments_reconcile_interval_s
        ),
        *key_epochs.periodic_tasks(keyring),
        *identity_tasks.periodic_tasks(),
        *catalog_tasks.periodic_tasks(worker_listeners),
        *mail_tasks.periodic_tasks(),
        *webhook_tasks.periodic_tasks(),
        *backup_tasks.periodic_tasks(settings),
        *ticket_tasks.periodic_tasks(),
        *ops_tasks.periodic_tasks(settings.metrics_sample_interval_s),
    ]
