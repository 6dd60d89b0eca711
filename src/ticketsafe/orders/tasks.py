"""Worker jobs of orders: react to payment changes; expire unpaid orders and finish those
a stopped checkout left (paid, or cancelled without a sale); refund money captured for
orders without a live sale."""

from __future__ import annotations

from collections.abc import Callable

from ticketsafe.infra.jobs import JobBuffer, JobContext, JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.onsale.service import REFUND_EVENT_JOB
from ticketsafe.orders import late_money
from ticketsafe.orders.service import OrderService
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.payments.service import PAYMENT_CHANGED_JOB

# The process's order service bound to one job's buffer (`ticketsafe.services`).
OrdersFor = Callable[[JobBuffer], OrderService]


def register(registry: JobRegistry, orders: OrdersFor) -> None:
    @registry.task(PAYMENT_CHANGED_JOB)
    async def payment_changed(ctx: JobContext, payment_id: str) -> None:
        jobs = JobBuffer()
        await orders(jobs).on_payment_changed(payment_id)
        await jobs.flush(ctx.queue)

    register_event_refunds(registry, orders)


def register_event_refunds(registry: JobRegistry, orders: OrdersFor) -> None:
    @registry.task(REFUND_EVENT_JOB)
    async def refund_event(ctx: JobContext, event_id: str) -> None:
        jobs = JobBuffer()
        try:
            await orders(jobs).refund_event(event_id)
        finally:
            await jobs.flush(ctx.queue)  # what was done is done: its jobs must go out


def periodic_tasks(
    orders: OrdersFor, interval_s: float = 10.0, reconcile_interval_s: float = 300.0
) -> list[PeriodicTask]:
    async def expire(ctx: JobContext) -> None:
        jobs = JobBuffer()
        service = orders(jobs)
        try:
            await service.expire_overdue()
            await service.finish_stranded()
        finally:
            await jobs.flush(ctx.queue)  # what was given up must be announced

    return [
        PeriodicTask("orders.expire", interval_s, expire),
        PeriodicTask("orders.reconcile_money", reconcile_interval_s, reconcile_money),
    ]


async def reconcile_money(ctx: JobContext) -> None:
    """Refund money captured for orders without a live sale (`late_money.reconcile`)."""
    jobs = JobBuffer()
    try:
        await late_money.reconcile(ProviderContext(ctx.db, ctx.redis, jobs, ctx.settings, ctx.http))
    finally:
        await jobs.flush(ctx.queue)  # refunds made must be announced, even after a failure
