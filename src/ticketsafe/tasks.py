"""Every background job and periodic task of every domain. Domains declare handlers in
their own `tasks.py`; this module only gathers them for the worker."""

from __future__ import annotations

from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.payments import tasks as payment_tasks
from ticketsafe.roles.worker import PeriodicTask
from ticketsafe.webhooks import tasks as webhook_tasks


def build_registry() -> JobRegistry:
    registry = JobRegistry()
    payment_tasks.register(registry)
    webhook_tasks.register(registry)
    return registry


def periodic_tasks() -> list[PeriodicTask]:
    return []
