"""Settlement: an order follows its money (the checkout's own payment, a PSP's
notice, a buyer's poll, the deadline sweep), idempotently."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketsafe.identity.principal import Principal
from ticketsafe.orders import repository as repo
from ticketsafe.orders.base import OrderBase, OrderChanged, audit_data, payment_found
from ticketsafe.orders.errors import PaymentDeclined
from ticketsafe.orders.events import OrderEvent, announce
from ticketsafe.orders.late_money import return_late_money
from ticketsafe.orders.metrics import record_paid
from ticketsafe.orders.models import (
    ENDED_UNPAID,
    Order,
    OrderStatus,
    check_transition,
    entry,
)
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import Payment, PaymentStatus

# A buyer polling a pending order whose payment is older than this gets the PSP asked
# whether the money arrived (`payments.reconcile`): its webhook normally says so within
# seconds, but it can be lost, and the deadline sweep (which also asks) is minutes away.
_ASK_PSP_AFTER = timedelta(minutes=1)

# A pending order this old that records no payment was left by a checkout that stopped
# before its last write (`finish_stranded`): a running checkout makes it within its
# request, a fraction of this.
STRANDED_AFTER = timedelta(seconds=10)
# How far back the pass looks (older ones are left to their deadline): past a hold's
# usual duration, so an order whose hold expired unused is still found.
STRANDED_WINDOW = timedelta(minutes=20)

# How many times a reaction to a payment starts again when its order changed meanwhile
# (each start reads both again; past that the job is retried by the queue).
_REACT_ATTEMPTS = 3


class Settlement(OrderBase):
    """Following the money: the checkout's, a job's, the buyer's poll, the sweep."""

    async def _follow(self, order: Order, payment: Payment) -> tuple[Order, Payment]:
        """`_after_payment_update` for the checkout's own payment, recording it on the
        order. Several readers may act on the same money at once (the checkout itself, a
        retry, the buyer's poll, a job): one write wins, and the others answer with the
        order as that write left it instead of 409 — an idempotent checkout would keep
        that 409 as its answer."""
        found = None if order.payment_id else payment_found(payment)
        try:
            return await self._after_payment_update(order, payment, found)
        except OrderChanged:
            current = await repo.get(self.db, order.id)
            if current is not None and current.status in ENDED_UNPAID:  # cancelled meanwhile
                return await self._after_payment_update(current, payment)
            if current is None or current.payment_id != payment.id:
                raise
            return current, await self._payment(current)

    async def _after_payment_update(
        self, order: Order, payment: Payment, fields: dict[str, Any] | None = None
    ) -> tuple[Order, Payment]:
        """React to where the payment stands now (also used by the worker); `fields` are
        written to the order in the same write as the reaction, if there is one: a
        payment that leaves a pending order where it is (a transfer, a PIX, a card
        challenge awaited) writes nothing (`payment_found`). An order that ended unpaid
        keeps no money: whatever its payment captured is refunded."""
        if order.status in ENDED_UNPAID:
            # Its sale too, if a commit landed after the order was given up (a flush hid
            # the committing hold from `finish_stranded`): releasing nothing is a no-op.
            await self.inventory.release_sale(order.id)
            payment, _ = await return_late_money(self.payments, order, payment.id)
            return order, payment
        pending = order.status is OrderStatus.PENDING_PAYMENT
        if payment.status is PaymentStatus.AUTHORIZED and pending:
            payment = await payments.capture(self.payments, payment.id, current=payment)
        if payment.status is PaymentStatus.CAPTURED and pending:
            order = await self._settle_paid(order, payment, fields)
        elif payment.status in (PaymentStatus.FAILED, PaymentStatus.VOIDED) and pending:
            await self._abandon(order, OrderStatus.CANCELLED, "payment failed", fields=fields)
            raise PaymentDeclined(decline_code=payment.instructions.get("decline_code"))
        return order, payment

    async def _settle_paid(
        self, order: Order, payment: Payment, fields: dict[str, Any] | None = None
    ) -> Order:
        check_transition(order.status, OrderStatus.PAID)
        paid = entry("system", "order.paid", f"payment {payment.id}", audit_data(order.event_id))
        order = await self._set(order, {**(fields or {}), "status": OrderStatus.PAID.value}, paid)
        announce(self.jobs, OrderEvent.PAID, order.id)  # tickets are issued off this path
        record_paid(order.event_id, len(order.valid_lines()), order.total_cents, order.currency)
        # Paid (its audit entry in the same write). The receipt is the tickets' e-mail
        # and the organizer's webhooks are theirs (`order_paid`'s listeners, off this
        # path): what is left here is the waiting room's next admission.
        if self.waiting_room is not None:  # the next person in line may come in
            await self.waiting_room.record_checkout_completed(order.event_id, order.buyer_id)
        return order

    async def on_payment_changed(self, payment_id: str) -> None:
        """Idempotent reaction to a payment's new state (webhook, capture, refund…).
        Money captured for an order that ended unpaid is refunded (`late_money`); if the
        order changed while this reacted (a buyer's cancel racing the capture: one
        guarded write wins), the reaction starts again from the order as it now is."""
        for _ in range(_REACT_ATTEMPTS):
            payment = await payments.get_payment(self.payments, payment_id)
            order = await repo.get(self.db, payment.order_id)
            if order is None or order.payment_id not in (None, payment.id):
                return
            # A payment exists only once its order's sale was committed; a crash before the
            # order recorded both leaves `payment_id` unset, and this records them.
            found = None if order.payment_id else payment_found(payment)
            try:
                with contextlib.suppress(PaymentDeclined):  # order cancelled, sale released
                    await self._after_payment_update(order, payment, found)
                return
            except OrderChanged:
                continue
        raise OrderChanged()

    async def expire_overdue(self, limit: int = 200) -> int:
        """Pending orders past their payment deadline: void, release, expire."""
        expired = 0
        for order in await repo.overdue(self.db, datetime.now(UTC), limit):
            # Its payment as recorded, or the one its checkout started (found by the id
            # derived from the order: a pending order records it with its next change).
            payment = await self.payment_of(order)
            if payment is not None:  # before giving up: did the money arrive unreported?
                payment = await payments.reconcile(self.payments, payment)
            if payment is not None and payment.status is PaymentStatus.CAPTURED:
                found = None if order.payment_id else payment_found(payment)
                await self._after_payment_update(order, payment, found)  # paid in time
                continue
            if payment is not None and (order.payment_id or payment.provider_ref):
                await payments.void(self.payments, payment.id)
            await self._abandon(order, OrderStatus.EXPIRED, "payment deadline passed")
            expired += 1
        return expired

    async def finish_stranded(self, limit: int = 200) -> int:
        """Finish pending orders a checkout left before its last write (its process
        killed, its buyer gone), `STRANDED_AFTER` on and up to `STRANDED_WINDOW` back,
        the `limit` oldest; returns how many were cancelled.
        - Money captured (the checkout stopped after the charge): the order is paid
          now, as a retry would, not at its deadline (15 minutes for a card).
        - No payment, nothing sold to it, and its hold gone (expired, released by the
          commit reconciliation, lost with Redis): the checkout stopped before
          committing the sale, and none can be committed any more (a retry finds the
          hold gone and cancels it the same way): cancelled. Left pending until its
          deadline it claimed, for minutes, seats sold to someone else meanwhile.
        Anything else (a hold still keeping its units, a sale, a payment still moving)
        is left to its checkout, its buyer and its deadline."""
        now = datetime.now(UTC)
        orders = await repo.without_payment(
            self.db, now - STRANDED_WINDOW, now - STRANDED_AFTER, limit
        )
        started = await payments.find_payments(
            self.payments, [repo.payment_id_of(o) for o in orders]
        )  # one read: most are orders waiting for a PIX or a transfer
        by_order = {p.order_id: p for p in started}
        cancelled = 0
        for order in orders:
            payment = by_order.get(order.id)
            if payment is not None:  # its sale was committed: the money decides
                if payment.status is PaymentStatus.CAPTURED:
                    with contextlib.suppress(OrderChanged):  # settled meanwhile
                        await self._follow(order, payment)
                continue
            # The hold first: a commit writes the sale before it lets the hold go.
            if await self.inventory.hold_keeps_units(order.hold_id):
                continue
            if await self.inventory.has_sale(order.id):
                continue
            with contextlib.suppress(OrderChanged):  # a retried checkout got there first
                reason = "checkout stopped before its sale was committed"
                await self._abandon(order, OrderStatus.CANCELLED, reason)
                cancelled += 1
        return cancelled

    async def mark_paid(self, organizer: Principal, order_id: str) -> Order:
        order = await self.get_for_organizer(organizer, order_id)
        started = await self.payment_of(order)
        if started is None:
            raise OrderChanged("the order has no payment")
        payment = await payments.mark_paid(self.payments, started.id)
        await self._audit(order, organizer.user_id, "order.marked_paid", None)
        found = None if order.payment_id else payment_found(payment)
        order, _ = await self._after_payment_update(order, payment, found)
        return order

    async def for_buyer_as_it_stands(
        self, buyer: Principal, order_id: str
    ) -> tuple[Order, Payment | None]:
        """The buyer's order and its payment. A pending order whose money is in — the
        notice that should have settled it was lost (a process killed after the PSP's
        webhook was applied, Redis losing its last second of jobs), or its checkout
        stopped before recording the payment — is settled now: a buyer waiting for
        their PIX to show sees it paid at their next poll, not at the deadline sweep.
        After `_ASK_PSP_AFTER` the PSP itself is asked (its webhook may be the lost
        notice)."""
        order = await self.get_for_buyer(buyer, order_id)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            return order, await self.payment_of(order)
        payment = await self.payment_of(order)
        if payment is not None and datetime.now(UTC) - payment.created_at > _ASK_PSP_AFTER:
            payment = await payments.reconcile(self.payments, payment)
        if payment is None or payment.status is not PaymentStatus.CAPTURED:
            return order, payment
        return await self._follow(order, payment)
