from __future__ import annotations

from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.webhooks import service


def register(registry: JobRegistry) -> None:
    registry.task(service.DELIVER_JOB)(service.deliver)
