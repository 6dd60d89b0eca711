"""Every background job and periodic task of every domain. Domains declare handlers in
their own `tasks.py`; this module only gathers them for the worker, handing each the
process's services (`ticketsafe.services`, built once at worker start)."""

from __future__ import annotations

from ticketsafe.catalog.events import tasks as catalog_tasks
from ticketsafe.identity import key_epochs
from ticketsafe.identity import tasks as identity_tasks
from ticketsafe.identity.tasks import ErasureHook
from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.inventory import tasks as inventory_tasks
from ticketsafe.mail import tasks as mail_tasks
from ticketsafe.mail.transport import SmtpTransport
from ticketsafe.onsale.service import supply_probe
from ticketsafe.ops import tasks as ops_tasks
from ticketsafe.ops.backup import tasks as backup_tasks
from ticketsafe.orders import tasks as order_tasks
from ticketsafe.orders.erasure import forget_buyer
from ticketsafe.orders.events import OrderListeners
from ticketsafe.realtime import me_feed as live_me
from ticketsafe.realtime import order_feed as live_orders
from ticketsafe.services import Services
from ticketsafe.tickets import tasks as ticket_tasks
from ticketsafe.waitingroom import tasks as waitingroom
from ticketsafe.webhooks import order_events as webhook_order_events
from ticketsafe.webhooks import tasks as webhook_tasks

# Called with (ctx, person_id) after a person's erasure; each domain adds its own here.
# Every domain keeping a person's blind index or sealed fields drops them (identity's own
# are dropped by the erasure itself; docs/personal-data.md lists what each domain keeps).
ERASURE_HOOKS: list[ErasureHook] = [forget_buyer, mail_tasks.drop_mail_of_erased]


def build_registry(services: Services) -> JobRegistry:
    settings = services.settings
    registry = JobRegistry()
    identity_tasks.register(registry, ERASURE_HOOKS)
    transport = (
        SmtpTransport(settings.smtp_url.get_secret_value(), settings.mail_from)
        if settings.smtp_url is not None
        else None
    )
    mail_tasks.register(registry, services.vault, transport)
    order_tasks.register(registry, services.orders)
    webhook_tasks.register(registry)
    # Who reacts to an order's state changes (`orders.events`): the composition root.
    order_listeners = OrderListeners()
    ticket_tasks.register(
        registry, order_listeners, services.tickets, services.delivery,
        on_issued=live_me.tickets_issued, transport=transport,
    )  # fmt: skip
    live_orders.subscribe(order_listeners)  # the buyer's `me` live channel
    webhook_order_events.subscribe(order_listeners)  # organizers' order webhooks
    order_listeners.register(registry)
    return registry


def periodic_tasks(services: Services) -> list[PeriodicTask]:
    settings = services.settings
    probe = supply_probe(services.db, services.inventory)
    return [
        *inventory_tasks.periodic_tasks(services.inventory),
        *waitingroom.periodic_tasks(lambda _: probe),
        *order_tasks.periodic_tasks(
            services.orders, reconcile_interval_s=settings.payments_reconcile_interval_s
        ),
        *key_epochs.periodic_tasks(services.vault),
        *identity_tasks.periodic_tasks(),
        *catalog_tasks.periodic_tasks(lambda _: services.status_listeners),
        *mail_tasks.periodic_tasks(),
        *webhook_tasks.periodic_tasks(),
        *backup_tasks.periodic_tasks(settings),
        *ticket_tasks.periodic_tasks(),
        *ops_tasks.periodic_tasks(services.inventory, settings.metrics_sample_interval_s),
    ]
