from __future__ import annotations

from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.redrive import REDRIVE_INTERVAL_S, periodic_pass
from ticketsafe.webhooks import service


def register(registry: JobRegistry) -> None:
    registry.task(service.DELIVER_JOB)(service.deliver)


def periodic_tasks() -> list[PeriodicTask]:
    redrive = periodic_pass(service.DELIVERIES_OUTBOX)
    return [PeriodicTask("webhooks.redrive", REDRIVE_INTERVAL_S, redrive)]
