"""Every background job and periodic task of every domain. Domains declare handlers in
their own `tasks.py`; this module only gathers them for the worker."""

from __future__ import annotations

from ticketsafe.infra.jobs import JobRegistry
from ticketsafe.roles.worker import PeriodicTask
from ticketsafe.waitingroom import tasks as waitingroom


def build_registry() -> JobRegistry:
    return JobRegistry()


def periodic_tasks() -> list[PeriodicTask]:
    return [*waitingroom.periodic_tasks()]
