"""Organizers' order webhooks: a listener of the orders' announcements
(`orders.events`), subscribed at the composition root. `OrderService` does not know
about webhooks.

A job may run twice, and a late one may find later changes already made (two partial
refunds before the first job ran): each webhook event is derived from its entry in the
order's audit history, so its id is the same at every run, and every refund entry gets
its own event. Deliveries are keyed by (event, subscription): a second run queues
nothing new. Payloads carry ids and amounts, never personal data.

An announcement lost with a killed api or Redis's last second is made good by
`reconcile` (periodic, `webhooks.reconcile`): it walks the orders of organizations with
order subscriptions by their last change (`updated_at`, moved by every state change in
the same write), `STALE` behind the present — by then their own job has run — and
re-runs every listener on each; only deliveries missing are stored and queued. Nobody
subscribed: one read of the subscriptions per pass. The walk's position is kept in
`webhook_marks`; no write is added to the order's path.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from ticketsafe.infra.jobs import JobBuffer, JobContext, JobQueue
from ticketsafe.infra.mongodb import Database
from ticketsafe.orders.events import Listener, OrderEvent, OrderListeners
from ticketsafe.orders.models import Order, OrderStatus
from ticketsafe.orders.read_models import changed_orders
from ticketsafe.webhooks import repository as repo
from ticketsafe.webhooks import service

STALE = timedelta(minutes=5)  # an order's own announcement has run (with retries) by then
FIRST_LOOK_BACK = timedelta(hours=1)
RECONCILE_INTERVAL_S = 60.0
_MARK = "order_events"

# The webhook each announcement becomes, and the history action it is derived from. An
# expired order is announced to organizers as `order.cancelled` (its status says which).
_HOOKS: dict[OrderEvent, tuple[str, str]] = {
    OrderEvent.CREATED: ("order.created", "order.created"),
    OrderEvent.PAID: ("order.paid", "order.paid"),
    OrderEvent.REFUNDED: ("order.refunded", "order.refunded"),
    OrderEvent.CANCELLED: ("order.cancelled", "order.cancelled"),
    OrderEvent.EXPIRED: ("order.cancelled", "order.expired"),
}


def _summary(order: Order, *, created: bool) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "event_id": order.event_id,
        "status": (OrderStatus.PENDING_PAYMENT if created else order.status).value,
        "total_cents": order.total_cents,
        "currency": order.currency,
        # At creation every line counts; later, those not refunded.
        "tickets": len(order.lines if created else order.valid_lines()),
    }


def _event_id(order_id: str, action: str, index: int) -> str:
    digest = hashlib.sha256(f"{order_id}:{action}:{index}".encode()).hexdigest()
    return f"evt_{digest[:24]}"


async def _publish(
    db: Database, jobs: JobBuffer, order: Order, event: OrderEvent, *, requeue: bool
) -> int:
    hook, action = _HOOKS[event]
    queued = 0
    for index, audited in enumerate(order.history):
        if audited["action"] != action:
            continue
        data = _summary(order, created=event is OrderEvent.CREATED)
        if event is OrderEvent.REFUNDED:
            data["amount_cents"] = audited["data"].get("amount_cents", 0)
        elif event in (OrderEvent.CANCELLED, OrderEvent.EXPIRED):
            data["reason"] = audited["reason"]
        queued += await service.publish(
            db, jobs, order.org_id, hook, data,
            event_id=_event_id(order.id, action, index), created=audited["at"], requeue=requeue,
        )  # fmt: skip
    return queued


def listener(event: OrderEvent) -> Listener:
    async def publish_order_webhook(ctx: JobContext, order: Order) -> None:
        jobs = JobBuffer()
        await _publish(ctx.db, jobs, order, event, requeue=True)
        await jobs.flush(ctx.queue)

    return publish_order_webhook


async def reconcile(db: Database, queue: JobQueue, now: datetime, batch: int = 200) -> int:
    """One pass: re-run every listener on the orders of subscribed organizations last
    changed since the last pass (and at least `STALE` ago). Returns how many deliveries
    were missing (now stored and queued)."""
    upto = now - STALE
    upto = upto.replace(microsecond=upto.microsecond // 1000 * 1000)  # as MongoDB keeps it
    mark = await repo.mark(db, _MARK)
    since: datetime = mark["since"] if mark else upto - FIRST_LOOK_BACK
    if since >= upto:
        return 0
    queued = 0
    for org_id in await repo.subscribed_orgs(db, sorted({hook for hook, _ in _HOOKS.values()})):
        async for orders in changed_orders(db, org_id, since, upto, batch):
            jobs = JobBuffer()
            for order in orders:
                for event in _HOOKS:
                    queued += await _publish(db, jobs, order, event, requeue=False)
            await jobs.flush(queue)
    await repo.set_mark(db, _MARK, {"since": upto})
    return queued


def subscribe(listeners: OrderListeners) -> None:
    for event in _HOOKS:
        listeners.subscribe(event, listener(event))
