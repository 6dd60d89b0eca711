"""Organizers' order webhooks: a listener of the orders' announcements
(`orders.events`), subscribed at the composition root. `OrderService` does not know
about webhooks.

A job may run twice, and a late one may find later changes already made (two partial
refunds before the first job ran): each webhook event is derived from its entry in the
order's audit history, so its id is the same at every run, and every refund entry gets
its own event. Deliveries are keyed by (event, subscription): a second run queues
nothing new. Payloads carry ids and amounts, never personal data.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ticketsafe.infra.jobs import JobBuffer, JobContext
from ticketsafe.orders.events import Listener, OrderEvent, OrderListeners
from ticketsafe.orders.models import Order, OrderStatus
from ticketsafe.orders.read_models import get_order
from ticketsafe.webhooks import service

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


def listener(event: OrderEvent) -> Listener:
    hook, action = _HOOKS[event]

    async def publish_order_webhook(ctx: JobContext, order_id: str) -> None:
        order = await get_order(ctx.db, order_id)
        if order is None:
            return
        jobs = JobBuffer()
        for index, audited in enumerate(order.history):
            if audited["action"] != action:
                continue
            data = _summary(order, created=event is OrderEvent.CREATED)
            if event is OrderEvent.REFUNDED:
                data["amount_cents"] = audited["data"].get("amount_cents", 0)
            elif event in (OrderEvent.CANCELLED, OrderEvent.EXPIRED):
                data["reason"] = audited["reason"]
            await service.publish(
                ctx.db, jobs, order.org_id, hook, data,
                event_id=_event_id(order.id, action, index), created=audited["at"],
            )  # fmt: skip
        await jobs.flush(ctx.queue)

    return publish_order_webhook


def subscribe(listeners: OrderListeners) -> None:
    for event in _HOOKS:
        listeners.subscribe(event, listener(event))
