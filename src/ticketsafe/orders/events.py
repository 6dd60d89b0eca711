"""Order state changes, announced: what other domains (tickets, next mail and organizer
webhooks) react to without `OrderService` calling them.

`announce` defers one `orders.announced {event, order_id}` job on the request's (or
task's) `JobBuffer`, so it leaves only after the order's write succeeded; the worker runs
every listener registered for that event at the composition root (`ticketsafe/tasks.py`).
A job carries ids only: a listener reloads what it needs and is idempotent (a job may run
twice). The announcement costs the checkout one more entry in its job flush (Redis), no
MongoDB write. A job lost with a killed api or Redis's last second is made good by the
listener's own reconciliation (tickets: `tickets.reconcile`), which finds paid orders
through `orders.read_models`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ticketsafe.infra.jobs import JobBuffer, JobContext, JobRegistry

ANNOUNCED_JOB = "orders.announced"


class OrderEvent(StrEnum):
    PAID = "order_paid"
    REFUNDED = "order_refunded"  # in full or in part: the refunded lines say which
    CANCELLED = "order_cancelled"
    EXPIRED = "order_expired"


def announce(jobs: JobBuffer, event: OrderEvent, order_id: str) -> None:
    jobs.defer(ANNOUNCED_JOB, {"event": event.value, "order_id": order_id})


Listener = Callable[[JobContext, str], Awaitable[None]]  # (ctx, order_id)


@dataclass
class OrderListeners:
    """Who reacts to which order event; filled at the composition root."""

    by_event: dict[OrderEvent, list[Listener]] = field(default_factory=dict)

    def subscribe(self, event: OrderEvent, listener: Listener) -> None:
        self.by_event.setdefault(event, []).append(listener)

    def register(self, registry: JobRegistry) -> None:
        @registry.task(ANNOUNCED_JOB)
        async def announced(ctx: JobContext, event: str, order_id: str) -> None:
            # All listeners run before the job is acknowledged; one that raises makes the
            # job retry, and the others' second run is a no-op (they are idempotent).
            for listener in self.by_event.get(OrderEvent(event), []):
                await listener(ctx, order_id)
