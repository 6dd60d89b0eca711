from __future__ import annotations

from datetime import UTC, datetime

from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.redrive import REDRIVE_INTERVAL_S, periodic_pass
from ticketsafe.webhooks import order_events, service


def register(registry: JobRegistry) -> None:
    registry.task(service.DELIVER_JOB)(service.deliver)


def periodic_tasks() -> list[PeriodicTask]:
    redrive = periodic_pass(service.DELIVERIES_OUTBOX)

    async def reconcile(ctx: JobContext) -> None:
        await order_events.reconcile(ctx.db, ctx.queue, datetime.now(UTC))

    return [
        PeriodicTask("webhooks.redrive", REDRIVE_INTERVAL_S, redrive),
        PeriodicTask("webhooks.reconcile", order_events.RECONCILE_INTERVAL_S, reconcile),
    ]
