"""Worker side of tickets: react to order events; re-send issuance a lost job missed.

Issuance follows `order_paid` (`orders.events`). That announcement leaves the api after
the answer and can be lost (a killed process, Redis's last second), so a periodic pass
walks paid orders by payment deadline, `STALE` behind the present — an order paid in
time was paid before its deadline, so by then its own job has run with every retry —
and re-sends `tickets.issue` for those with no tickets. Each order is looked at
once; the walk's position is kept in `ticket_marks`. Not covered: an order paid *after*
its deadline (a late payment) whose announcement is lost once the walk has passed that
deadline; its buyer's `GET /orders/{id}/tickets` issues on read instead.

Redis losing its data (a FLUSHALL, a restart or failover without it) takes every
announcement still queued at once: in a flash sale, the backlog of a busy queue. Waiting
for the walk would leave those buyers paid without tickets for the whole payment window
plus `STALE` (25 minutes for a card), so a short periodic look (`after_redis_loss`)
notices the loss within seconds and re-sends issuance for every paid order the walk has
not passed yet and that has no tickets.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

from ticketsafe.infra.jobs import JobBuffer, JobContext, JobQueue, JobRegistry
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.mail.transport import SmtpTransport
from ticketsafe.orders.events import OrderEvent, OrderListeners
from ticketsafe.orders.models import Order
from ticketsafe.orders.read_models import get_order, paid_orders_by_deadline
from ticketsafe.tickets import repository as repo
from ticketsafe.tickets.delivery import MAIL_JOB, Delivery
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import TicketService

log = logging.getLogger("ticketsafe.tickets")

ISSUE_JOB = "tickets.issue"
STALE = timedelta(minutes=10)
FIRST_LOOK_BACK = timedelta(days=4)  # longer than the longest payment window (3 days)
RECONCILE_INTERVAL_S = 60.0
LOSS_LOOK_INTERVAL_S = 2.0  # how soon a Redis that lost its data is noticed
_MARK = "issuance"


def register(
    registry: JobRegistry,
    listeners: OrderListeners,
    tickets: TicketService,
    delivery: Delivery,
    *,
    on_issued: Callable[[JobContext, Order], Awaitable[None]] | None = None,
    transport: SmtpTransport | None = None,
) -> None:
    """`on_issued(ctx, order)` runs after an order's tickets were first issued.
    `tickets` and `delivery` are the process's (`ticketsafe.services`): event keys stay
    cached between jobs. With the worker's SMTP `transport`, the issuing job sends the
    tickets e-mail itself (`Delivery.mail_tickets`)."""

    async def issued(ctx: JobContext, order: Order) -> None:
        fresh = await tickets.issue(order)
        if not fresh:  # issued before (a job run twice), or nothing to issue
            return
        if on_issued is not None:  # heard at once, not after the PDF and the SMTP exchange
            try:
                await on_issued(ctx, order)
            except Exception:  # a retry of this job would find them issued: mail anyway
                log.exception("tickets issued, not announced", extra={"order_id": order.id})
        await mail(ctx, order, fresh)

    async def mail(ctx: JobContext, order: Order, fresh: list[Ticket]) -> None:
        """First issued: e-mailed from this job, with the order and its tickets at hand.
        If that fails before the message is sent or queued, the e-mail gets a job of its
        own, which reads them again: a retry of this job would find the tickets issued
        and mail nothing."""
        jobs = JobBuffer()
        try:
            await delivery.mail_tickets(order, fresh, jobs, transport)
            await jobs.flush(ctx.queue)
        except Exception:
            log.exception("tickets e-mail left to its own job", extra={"order_id": order.id})
            await ctx.queue.enqueue(MAIL_JOB, {"order_id": order.id})

    async def issue(ctx: JobContext, order_id: str) -> None:  # re-sent by the reconcile
        order = await get_order(ctx.db, order_id)
        if order is not None:
            await issued(ctx, order)

    async def mail_later(ctx: JobContext, order_id: str) -> None:
        jobs = JobBuffer()
        await delivery.mail_order(order_id, jobs)
        await jobs.flush(ctx.queue)

    async def revoke(ctx: JobContext, order: Order) -> None:
        await tickets.revoke(order)

    listeners.subscribe(OrderEvent.PAID, issued)
    for event in (OrderEvent.REFUNDED, OrderEvent.CANCELLED, OrderEvent.EXPIRED):
        listeners.subscribe(event, revoke)
    registry.task(ISSUE_JOB)(issue)
    registry.task(MAIL_JOB)(mail_later)


async def reconcile(db: Database, queue: JobQueue, now: datetime, batch: int = 500) -> int:
    """One pass: re-send issuance for paid orders whose deadline passed since the last
    pass (and at least `STALE` ago) and that have no tickets. Returns how many."""
    upto = now - STALE
    upto = upto.replace(microsecond=upto.microsecond // 1000 * 1000)  # as MongoDB keeps it
    since, after_id = await _walked_up_to(db, upto - FIRST_LOOK_BACK)
    sent = 0
    pages = _resend(db, queue, since, upto, after_id=after_id, batch=batch)
    async for count, next_since, next_after in pages:
        sent += count
        await repo.set_mark(db, _MARK, {"since": next_since, "after_id": next_after})
    return sent


async def after_redis_loss(db: Database, queue: JobQueue, now: datetime, batch: int = 500) -> int:
    """If Redis lost its data since the last look (`JobQueue.lost_since_last_look`),
    re-send issuance for every paid order without tickets that the walk has not passed
    (payment deadline from the walk's mark on: every order paid in the last `STALE`, and
    all whose deadline is still ahead). Returns how many (0 when nothing was lost). The
    walk's mark is left as it is: it passes these orders later and finds them issued."""
    if not await queue.lost_since_last_look("tickets.issuance"):
        return 0
    since, after_id = await _walked_up_to(db, now - STALE - FIRST_LOOK_BACK)
    sent = 0
    pages = _resend(db, queue, since, now + FIRST_LOOK_BACK, after_id=after_id, batch=batch)
    async for count, _, _ in pages:
        sent += count
    return sent


async def _walked_up_to(db: Database, first: datetime) -> tuple[datetime, str]:
    """Where the walk stands (its mark), or `first` before its first pass."""
    mark = await repo.mark(db, _MARK)
    if mark is None:
        return first, ""
    return mark["since"], str(mark.get("after_id") or "")


async def _resend(
    db: Database, queue: JobQueue, since: datetime, upto: datetime, *, after_id: str, batch: int
) -> AsyncIterator[tuple[int, datetime, str]]:
    """Re-send issuance for the paid orders without tickets whose deadline falls in
    [since, upto) (`after_id` resumes inside the instant `since`), a page at a time;
    yields per page how many were sent and where the next page starts."""
    while since < upto:
        orders = await paid_orders_by_deadline(db, since, upto, after_id, batch)
        if after_id and len(orders) < batch:  # the rest of that instant is done
            orders += await paid_orders_by_deadline(
                db, since + timedelta(milliseconds=1), upto, "", batch - len(orders)
            )
        issued = await repo.issued_among(db, orders)
        sent = 0
        for order in orders:
            if order.id not in issued:
                await queue.enqueue(ISSUE_JOB, {"order_id": order.id})
                sent += 1
        if len(orders) < batch:
            since, after_id = upto, ""
        else:
            since, after_id = orders[-1].payment_deadline, orders[-1].id
        yield sent, since, after_id


def periodic_tasks() -> list[PeriodicTask]:
    async def run(ctx: JobContext) -> None:
        await reconcile(ctx.db, ctx.queue, datetime.now(UTC))

    async def look(ctx: JobContext) -> None:
        await after_redis_loss(ctx.db, ctx.queue, datetime.now(UTC))

    return [
        PeriodicTask("tickets.reconcile", RECONCILE_INTERVAL_S, run),
        PeriodicTask("tickets.after_redis_loss", LOSS_LOOK_INTERVAL_S, look),
    ]
