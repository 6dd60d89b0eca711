"""A periodic task: a named coroutine run every `interval_s` by whichever worker holds
its lease (`roles.worker.Worker`). Domains declare theirs in their `tasks.py`; the worker
role runs them, so the declaration lives below both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ticketsafe.infra.jobs import JobContext

Periodic = Callable[[JobContext], Awaitable[None]]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval_s: float
    run: Periodic
