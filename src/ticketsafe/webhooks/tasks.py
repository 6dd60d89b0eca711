from __future__ import annotations

from datetime import UTC, datetime

from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.infra.redrive import REDRIVE_INTERVAL_S, redrive
from ticketsafe.roles.worker import PeriodicTask
from ticketsafe.webhooks import service


def register(registry: JobRegistry) -> None:
    registry.task(service.DELIVER_JOB)(service.deliver)


def periodic_tasks() -> list[PeriodicTask]:
    async def redrive_deliveries(ctx: JobContext) -> None:
        await redrive(ctx.db, ctx.queue, service.DELIVERIES_OUTBOX, datetime.now(UTC))

    return [PeriodicTask("webhooks.redrive", REDRIVE_INTERVAL_S, redrive_deliveries)]
