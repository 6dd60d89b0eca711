"""Orders on the buyer's `me` channel: a listener of the orders' announcements (paid,
refunded, cancelled, expired) that appends the order's new state to the buyer's live
stream, off the request's path (the announcement is a job). A PIX paid by the bank shows
as soon as the worker has run the webhook's job and its announcement."""

from __future__ import annotations

from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.live_publish import publish_to_user
from ticketsafe.orders.events import STATE_CHANGES, OrderListeners
from ticketsafe.orders.models import Order


async def order_changed(ctx: JobContext, order: Order) -> None:
    data = {
        "order_id": order.id,
        "event_id": order.event_id,
        "status": order.status.value,
        "version": order.version,
    }
    await publish_to_user(ctx.redis, order.buyer_id, "order", data)


def subscribe(listeners: OrderListeners) -> None:
    for event in STATE_CHANGES:
        listeners.subscribe(event, order_changed)
