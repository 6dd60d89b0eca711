"""The catalog's clock: flips events to on_sale at `on_sale_at` and ends them after
`ends_at`.

Nothing a buyer does waits for it: inventory is provisioned at publish and opens to holds
at `on_sale_at` by Redis's clock, checkout treats a published event whose `on_sale_at`
has come as selling, and the waiting room draws on its own 1-s tick. The flip is for the
stored status (listings, organizer views); it still runs every second, so a status lags
its `on_sale_at` by at most about that.

Runs in the worker under a lease (one instance at a time); each change goes through
`event_service.change_status`, whose guarded update makes a second runner, or an
organizer acting at the same moment, harmless (the loser sees `InvalidTransition`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ticketsafe.catalog.errors import InvalidTransition
from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.events import service as event_service
from ticketsafe.catalog.events.lifecycle import EventStatus
from ticketsafe.catalog.events.status_listeners import StatusListener
from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.periodic import PeriodicTask

log = logging.getLogger("ticketsafe.catalog")
ACTOR = "system:catalog-clock"
INTERVAL_S = 1.0  # two indexed queries per second, under a lease


async def advance_sales_clock(
    ctx: JobContext, now: datetime | None = None, listeners: Sequence[StatusListener] = ()
) -> int:
    """Open and end what is due; returns how many events moved."""
    now = now or datetime.now(UTC)
    moved = 0
    due = [
        *((e, EventStatus.ON_SALE) for e in await event_repository.due_to_open(ctx.db, now)),
        *((e, EventStatus.ENDED) for e in await event_repository.due_to_end(ctx.db, now)),
    ]
    for event_id, target in due:
        try:
            await event_service.change_status(
                ctx.db, ctx.redis, event_id, target, actor=ACTOR, reason="scheduled",
                listeners=listeners,
            )  # fmt: skip
            moved += 1
        except InvalidTransition:
            log.info("event %s moved meanwhile; skipped", event_id)
    return moved


def periodic_tasks(
    listeners_for: Callable[[JobContext], Sequence[StatusListener]] = lambda ctx: (),
) -> list[PeriodicTask]:
    """`listeners_for` builds, from the worker's clients, the other domains' reactions to
    a status change (the composition root passes them; the catalog imports none)."""

    async def tick(ctx: JobContext) -> None:
        await advance_sales_clock(ctx, listeners=listeners_for(ctx))

    return [PeriodicTask("catalog.sales_clock", INTERVAL_S, tick)]
