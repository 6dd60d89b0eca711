"""Every background job and periodic task of every domain. Domains declare handlers in
their own `tasks.py`; this module only gathers them for the worker."""

from __future__ import annotations

from ticketsafe.catalog import tasks as catalog_tasks
from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.roles.worker import PeriodicTask


def build_registry() -> JobRegistry:
    return JobRegistry()


def periodic_tasks() -> list[PeriodicTask]:
    return [*catalog_tasks.PERIODIC]
