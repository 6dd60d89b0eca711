"""Worker jobs of orders: react to payment changes; expire unpaid orders; refund money
captured for orders without a live sale."""

from __future__ import annotations

from ticketsafe.infra.crypto.keyring import KeyRing
from ticketsafe.infra.jobs import JobBuffer, JobContext, JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.vault import PiiVault
from ticketsafe.inventory.service import InventoryService
from ticketsafe.onsale.service import REFUND_EVENT_JOB
from ticketsafe.orders import late_money
from ticketsafe.orders.pricing import PriceBook
from ticketsafe.orders.service import OrderService
from ticketsafe.payments.providers import ProviderContext
from ticketsafe.payments.service import PAYMENT_CHANGED_JOB
from ticketsafe.waitingroom.service import WaitingRoom


def _service(ctx: JobContext, keyring: KeyRing, jobs: JobBuffer) -> OrderService:
    assert ctx.settings.auth_secret is not None
    room = WaitingRoom(ctx.db, ctx.redis, ctx.settings.auth_secret.get_secret_value().encode())
    return OrderService(
        ctx.db, ctx.redis, jobs, ctx.settings, PiiVault(ctx.db, keyring),
        InventoryService(ctx.db, ctx.redis), PriceBook(), room,
    )  # fmt: skip


def register(registry: JobRegistry, keyring: KeyRing) -> None:
    @registry.task(PAYMENT_CHANGED_JOB)
    async def payment_changed(ctx: JobContext, payment_id: str) -> None:
        jobs = JobBuffer()
        await _service(ctx, keyring, jobs).on_payment_changed(payment_id)
        await jobs.flush(ctx.queue)

    register_event_refunds(registry, keyring)


def register_event_refunds(registry: JobRegistry, keyring: KeyRing) -> None:
    @registry.task(REFUND_EVENT_JOB)
    async def refund_event(ctx: JobContext, event_id: str) -> None:
        jobs = JobBuffer()
        try:
            await _service(ctx, keyring, jobs).refund_event(event_id)
        finally:
            await jobs.flush(ctx.queue)  # what was done is done: its jobs must go out


def periodic_tasks(
    keyring: KeyRing, interval_s: float = 10.0, reconcile_interval_s: float = 300.0
) -> list[PeriodicTask]:
    async def expire(ctx: JobContext) -> None:
        jobs = JobBuffer()
        await _service(ctx, keyring, jobs).expire_overdue()
        await jobs.flush(ctx.queue)

    return [
        PeriodicTask("orders.expire", interval_s, expire),
        PeriodicTask("orders.reconcile_money", reconcile_interval_s, reconcile_money),
    ]


async def reconcile_money(ctx: JobContext) -> None:
    """Refund money captured for orders without a live sale (`late_money.reconcile`)."""
    jobs = JobBuffer()
    try:
        await late_money.reconcile(ProviderContext(ctx.db, ctx.redis, jobs, ctx.settings))
    finally:
        await jobs.flush(ctx.queue)  # refunds made must be announced, even after a failure
