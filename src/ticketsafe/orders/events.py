"""Order state changes, announced: what other domains (tickets, organizer webhooks, the
buyer's live feed) react to without `OrderService` calling them.

`announce` defers one `orders.announced {events, order_id}` job on the request's (or
task's) `JobBuffer`, so it leaves only after the order's write succeeded; the worker runs
every listener registered for each event at the composition root (`ticketsafe/tasks.py`),
in the order announced. Events of one order announced by the same request share its job
(a card checkout's `order_created` then `order_paid`: one job). A job carries ids only:
the job reads the order once, as it stands when the job runs, and hands it to every
listener of every event it carries (they read it once each before: 6 reads of the same
order per paid card order); a listener reloads anything else it needs and is idempotent
(a job may run twice). The
announcement costs the checkout one entry in its job flush (Redis), no MongoDB write.
A job lost with a killed api or Redis's last second is made good by the listener's own
reconciliation (tickets: `tickets.reconcile`; organizer webhooks: `webhooks.reconcile`),
which finds its orders through `orders.read_models`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ticketsafe.infra.jobs import JobBuffer, JobContext, JobRegistry
from ticketsafe.orders.models import Order
from ticketsafe.orders.read_models import get_order

ANNOUNCED_JOB = "orders.announced"


class OrderEvent(StrEnum):
    CREATED = "order_created"  # its sale committed, its payment starting
    PAID = "order_paid"
    REFUNDED = "order_refunded"  # in full or in part: the refunded lines say which
    CANCELLED = "order_cancelled"
    EXPIRED = "order_expired"


# What the buyer's order went through, in the order it went (the `created` event is not
# a state change: listeners of state changes subscribe to these).
STATE_CHANGES = (OrderEvent.PAID, OrderEvent.REFUNDED, OrderEvent.CANCELLED, OrderEvent.EXPIRED)


def announce(jobs: JobBuffer, event: OrderEvent, order_id: str) -> None:
    for job, _ in jobs.jobs:
        if job.name == ANNOUNCED_JOB and job.args["order_id"] == order_id:
            job.args["events"].append(event.value)  # not flushed yet: one job per order
            return
    jobs.defer(ANNOUNCED_JOB, {"events": [event.value], "order_id": order_id})


Listener = Callable[[JobContext, Order], Awaitable[None]]  # (ctx, the order as it stands)


@dataclass
class OrderListeners:
    """Who reacts to which order event; filled at the composition root."""

    by_event: dict[OrderEvent, list[Listener]] = field(default_factory=dict)

    def subscribe(self, event: OrderEvent, listener: Listener) -> None:
        self.by_event.setdefault(event, []).append(listener)

    def register(self, registry: JobRegistry) -> None:
        @registry.task(ANNOUNCED_JOB)
        async def announced(
            ctx: JobContext, order_id: str, events: list[str] | None = None, event: str = ""
        ) -> None:
            # All listeners run before the job is acknowledged; one that raises makes the
            # job retry (reading the order again), and the others' second run is a no-op
            # (they are idempotent). `event`: a job queued before announcements were
            # grouped per order.
            order = await get_order(ctx.db, order_id)
            if order is None:
                return
            for name in events if events is not None else [event]:
                for listener in self.by_event.get(OrderEvent(name), []):
                    await listener(ctx, order)
