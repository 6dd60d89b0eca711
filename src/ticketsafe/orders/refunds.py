"""Refunds and cancellations by people: a buyer's cancel, an organizer's refund, an
event's cancellation refunding every order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ticketsafe.identity.principal import Principal
from ticketsafe.orders import repository as repo
from ticketsafe.orders.base import OrderBase, OrderChanged, audit_data, log, sale_items
from ticketsafe.orders.errors import CancellationNotAllowed
from ticketsafe.orders.events import OrderEvent, announce
from ticketsafe.orders.models import (
    LineStatus,
    Order,
    OrderStatus,
    check_transition,
    entry,
)
from ticketsafe.orders.pricing import limited_types
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import PaymentStatus

# A payment still waiting for its money: voided when its order is cancelled unpaid.
_WAITING = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORIZED}
)


class Refunds(OrderBase):
    """Money back and seats back on sale; unpaid orders cancelled."""

    async def cancel_by_buyer(self, buyer: Principal, order_id: str, reason: str) -> Order:
        """Unpaid: cancelled, seats back. Paid: refunded in full — only where the event
        allows self-service cancellation and until its deadline before the start."""
        order = await self.get_for_buyer(buyer, order_id)
        if order.status is OrderStatus.PAID:
            view = await self._view(order)
            hours = view.buyer_cancellation_hours
            if hours is None:
                raise CancellationNotAllowed("this event does not allow cancelling paid orders")
            deadline = view.starts_at - timedelta(hours=hours)
            if datetime.now(UTC) >= deadline:
                raise CancellationNotAllowed(
                    "the cancellation deadline has passed", deadline=deadline.isoformat()
                )
            return await self.refund(buyer.user_id, order, None, reason)
        check_transition(order.status, OrderStatus.CANCELLED)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            raise OrderChanged("only unpaid orders can be cancelled by the buyer")
        await self._void_started(order)
        return await self._abandon(order, OrderStatus.CANCELLED, reason, actor=buyer.user_id)

    async def _void_started(self, order: Order) -> None:
        """Void the payment an unpaid order's checkout started, recorded on the order or
        not yet (`payment_of`), while it still waits for its money. Money already in for
        an order that was never told (its checkout died after the charge) is returned
        once the order has ended unpaid (`late_money`: the retry, the reconciliation)."""
        payment = await self.payment_of(order)
        if payment is not None and payment.status in _WAITING:
            await payments.void(self.payments, payment.id)

    async def refund(
        self, actor: str, order: Order, line_ids: list[str] | None, reason: str
    ) -> Order:
        """Refund lines (all valid ones by default): money back, seats back on sale now."""
        valid = {line.line_id: line for line in order.valid_lines()}
        chosen = (
            list(valid.values()) if line_ids is None else [valid[i] for i in line_ids if i in valid]
        )
        if not chosen or (line_ids is not None and len(chosen) != len(set(line_ids))):
            raise OrderChanged("nothing refundable among these lines", refundable=list(valid))
        amount = sum(line.unit_cents for line in chosen)
        full = len(chosen) == len(valid)
        target = OrderStatus.REFUNDED if full else OrderStatus.PARTIALLY_REFUNDED
        check_transition(order.status, target)
        chosen_ids = {line.line_id for line in chosen}
        lines = [
            line.model_copy(update={"status": LineStatus.REFUNDED})
            if line.line_id in chosen_ids
            else line
            for line in order.lines
        ]
        order = await self._set(
            order,
            {
                "status": target.value,
                "lines": [line.model_dump() for line in lines],
                "refunded_cents": order.refunded_cents + amount,
            },
            entry(actor, "order.refunded", reason, audit_data(order.event_id, amount_cents=amount)),
        )
        announce(self.jobs, OrderEvent.REFUNDED, order.id)
        if amount:
            await payments.refund(self.payments, repo.payment_id_of(order), amount)
        await self.inventory.release_sale(order.id, sale_items(chosen))
        for type_id, (n, _) in limited_types(await self._view(order), chosen).items():
            await repo.return_quota(self.db, order.event_id, type_id, n)
        return order

    async def refund_event(self, event_id: str, batch: int = 100) -> dict[str, Any]:
        """The event was cancelled: refund every paid order, cancel every unpaid one.
        Restartable: each pass takes the orders still in a refundable state; progress is
        kept in `bulk_refunds` for the organizer to watch."""
        paid = await repo.refundable_of_event(self.db, event_id, 100_000)
        unpaid = await repo.unpaid_of_event(self.db, event_id, 100_000)
        await repo.bulk_refund_progress(self.db, event_id, total=len(paid) + len(unpaid))
        for order in unpaid:
            await self._void_started(order)
            await self._abandon(order, OrderStatus.CANCELLED, "event cancelled")
            await repo.bulk_refund_progress(self.db, event_id, inc_done=1)
        for order in paid:
            try:
                await self.refund("system:event-cancelled", order, None, "event cancelled")
            except (OrderChanged, payments.PaymentConflict):
                await repo.bulk_refund_progress(self.db, event_id, inc_failed=1)
                log.warning("event refund failed for an order", extra={"order_id": order.id})
                continue
            await repo.bulk_refund_progress(self.db, event_id, inc_done=1)
        progress = await repo.bulk_refund_progress(self.db, event_id, finished=True)
        assert progress is not None
        return progress
