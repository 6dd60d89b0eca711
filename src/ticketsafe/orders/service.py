"""Checkout and the life of an order.

Order of operations in checkout (the reason this code exists — "never charge without a
ticket"):
1. price the hold and check the total the buyer saw; take limited ticket-type quotas;
2. insert the order (unique per hold: a retried checkout finds the same order);
3. commit the sale in inventory (a guarded MongoDB write) — seats are now this order's;
4. only then start the payment; a card is authorised, then captured right away because
   the sale already stands. A failed payment releases the sale and the quotas.
Any path that leaves `pending_payment` without `paid` releases the sale.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ticketsafe.catalog.events.schemas import TicketKind
from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.service import seal_pii
from ticketsafe.infra import audit
from ticketsafe.infra.errors import NotFound, RequestInProgress
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault
from ticketsafe.inventory.errors import HoldExpired, SeatsTaken
from ticketsafe.inventory.models import SaleItems
from ticketsafe.inventory.service import InventoryService, event_of
from ticketsafe.orders import repository as repo
from ticketsafe.orders.errors import (
    CancellationNotAllowed,
    EventNotOnSale,
    OrderNotFound,
    PaymentDeclined,
    PriceChanged,
    QuotaExhausted,
)
from ticketsafe.orders.events import OrderEvent, announce
from ticketsafe.orders.late_money import return_late_money
from ticketsafe.orders.metrics import record_paid
from ticketsafe.orders.models import (
    ENDED_UNPAID,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    check_transition,
    entry,
)
from ticketsafe.orders.pricing import PriceBook, limited_types, price_tickets
from ticketsafe.orders.repository import checkout_payment_id
from ticketsafe.orders.schemas import CheckoutRequest
from ticketsafe.payments import service as payments
from ticketsafe.payments.brcode import qr_svg
from ticketsafe.payments.models import Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.processors import ProviderContext, check_start
from ticketsafe.waitingroom.service import WaitingRoom

log = logging.getLogger("ticketsafe.orders")


def _found(payment: Payment) -> dict[str, Any]:
    """What an order records on learning of its checkout's payment: the sale stands (a
    payment is started only after the sale was committed) and which payment it is."""
    return {"sale_committed": True, "payment_id": payment.id}


# How long an order may wait for its money once the sale is committed.
PAYMENT_WINDOW = {
    PaymentMethod.FREE: timedelta(minutes=5),
    PaymentMethod.CARD_SANDBOX: timedelta(minutes=15),  # time for a 3-D-Secure challenge
    PaymentMethod.PIX: timedelta(minutes=30),
    PaymentMethod.BANK_TRANSFER: timedelta(days=3),
}

# A checkout may decide on a sales view (status, prices, ticket types) read by this
# process up to this long ago: every checkout of an on-sale read the same event. A price
# change meanwhile is caught by the buyer's expected total; a sale paused through another
# instance stops new checkouts within this second (holds already stopped at once).
_VIEW_MAX_AGE_S = 1.0


# A buyer polling a pending order whose payment is older than this gets the PSP asked
# whether the money arrived (`payments.reconcile`): its webhook normally says so within
# seconds, but it can be lost, and the deadline sweep (which also asks) is minutes away.
_ASK_PSP_AFTER = timedelta(minutes=1)

# How many times a reaction to a payment starts again when its order changed meanwhile
# (each start reads both again; past that the job is retried by the queue).
_REACT_ATTEMPTS = 3


class OrderChanged(PriceChanged):
    code = "order_changed_concurrently"
    title = "The order changed meanwhile; retry"


@dataclass
class OrderService:
    db: Database
    redis: RedisClient
    jobs: JobBuffer
    settings: Settings
    http: httpx.AsyncClient  # the processors' way to their PSPs
    vault: PiiVault
    inventory: InventoryService
    prices: PriceBook
    waiting_room: WaitingRoom | None = None
    # Live memberships: who may give courtesy tickets (checkouts only; jobs never check out).
    memberships: MembershipCache | None = None

    @property
    def payments(self) -> ProviderContext:
        return ProviderContext(self.db, self.redis, self.jobs, self.settings, self.http)

    # -- checkout ---------------------------------------------------------------------

    async def checkout(self, buyer: Principal, request: CheckoutRequest) -> tuple[Order, Payment]:
        started = time.monotonic()
        event_id = event_of(request.hold_id)
        try:
            hold = await self.inventory.get_hold(request.hold_id, buyer.user_id)
        except HoldExpired:  # or already turned into an order: a retried checkout
            existing = await repo.by_hold(self.db, request.hold_id)
            if existing is not None and existing.buyer_id == buyer.user_id:
                return await self._retried(existing, request.card_token)
            raise
        view = await get_sales_view(self.db, event_id, max_age_s=_VIEW_MAX_AGE_S)
        now = datetime.now(UTC)
        if not view.is_selling(now):
            raise EventNotOnSale(status=view.status.value)
        seat_levels, area_levels = await self.prices.levels(self.db, event_id)
        priced = price_tickets(
            view, hold, request.tickets, seat_levels, area_levels,
            organizer=await self._gives_courtesy(buyer, view, request),
        )  # fmt: skip
        total = sum(t.line.unit_cents for t in priced)
        if total != request.expected_total_cents:
            raise PriceChanged(total_cents=total, expected_total_cents=request.expected_total_cents)
        method = PaymentMethod.FREE if total == 0 else request.payment_method
        check_start(method, self.settings, request.card_token)
        order_id = repo.order_id_for(request.hold_id)
        lines = [
            t.line.model_copy(
                update={"holder_sealed": await seal_pii(self.vault, buyer.user_id, t.holder)}
            )
            for t in priced
        ]
        quotas = limited_types(view, lines)
        await self._take_quotas(event_id, quotas)
        buyer_fields = {"name": request.buyer.name, "email": request.buyer.email}
        if request.buyer.phone:
            buyer_fields["phone"] = request.buyer.phone
        order = Order(
            id=order_id, event_id=event_id, org_id=view.org_id, buyer_id=buyer.user_id,
            hold_id=request.hold_id, status=OrderStatus.PENDING_PAYMENT,
            currency=view.currency, total_cents=total, lines=lines, payment_method=method,
            buyer_sealed=await seal_pii(self.vault, buyer.user_id, buyer_fields),
            buyer_email_index=self.vault.email_index(request.buyer.email),
            locale=request.locale, payment_deadline=now + PAYMENT_WINDOW[method],
            history=[entry(buyer.user_id, "order.created", None, _audited(view.event_id))],
            created_at=now, updated_at=now,
        )  # fmt: skip
        if not await repo.insert(self.db, order):
            await self._return_quotas(event_id, quotas)
            existing = await repo.by_hold(self.db, request.hold_id)
            if existing is None or existing.buyer_id != buyer.user_id:
                raise OrderNotFound()
            return await self._retried(existing, request.card_token)
        placed = await self._pay(order, request.card_token)
        if self.waiting_room is not None:  # adaptive admission's signal
            await self.waiting_room.record_checkout_latency(event_id, time.monotonic() - started)
        return placed

    async def _pay(self, order: Order, card_token: str | None) -> tuple[Order, Payment]:
        """Commit the order's sale, then pay: the checkout's second half, also resumed by a
        retried checkout when the first stopped before its payment was started."""
        try:
            await self.inventory.commit_sale(order.hold_id, order.id, order.buyer_id)
        except (HoldExpired, SeatsTaken):
            await self._abandon(order, OrderStatus.CANCELLED, "sale could not be committed")
            raise
        # The sale stands: the order is announced (its job leaves with this request's,
        # and shares the job of its `order_paid`), and an authorisation is captured at
        # once; this request reacts to the outcome itself (no `payments.changed` job).
        announce(self.jobs, OrderEvent.CREATED, order.id)
        started = await payments.start_payment(
            self.payments, order_id=order.id, method=order.payment_method,
            amount_cents=order.total_cents, currency=order.currency,
            card_token=card_token, capture=True, notify=False,
            payment_id=checkout_payment_id(order.id), payer_id=order.buyer_id,
        )  # fmt: skip
        # One write records the committed sale, the payment and (when the money is in)
        # `paid`: a crash or a store outage before it leaves an order whose sale stands
        # but is not flagged, and whose payment is found by the id derived from the
        # order: a retried checkout, the PSP's webhook for a payment still to move, or
        # the deadline sweep settles it as the money stands (`_retried`,
        # `expire_overdue`), else `_abandon` releases the sale at its deadline.
        return await self._follow(order, started)

    async def _retried(self, order: Order, card_token: str | None) -> tuple[Order, Payment]:
        """Checkout again for a hold that already has an order: the same order, finished
        where the first checkout stopped. Before its payment was started (a store outage
        while committing the sale, a crash), this one commits the sale and pays — the
        payment's id, derived from the order, lets only one request ever start it; a
        request that loses that race, or comes while the PSP has not answered yet, gets
        409. Started but with no answer from the PSP recorded (the first checkout died
        during the PSP's call), this one asks the PSP again: the same reference gets the
        same charge, never a second. After the PSP answered (a crash, an outage before
        the order's last write), the order follows the money: the buyer's retry gets the
        paid order, not a charge and a pending order."""
        if order.payment_id is not None:
            return order, await self._payment(order)
        payment = await payments.find_payment(self.payments, checkout_payment_id(order.id))
        pending = order.status is OrderStatus.PENDING_PAYMENT
        if payment is None and pending:
            check_start(order.payment_method, self.settings, card_token)
            return await self._pay(order, card_token)
        if payment is None:
            raise RequestInProgress("the checkout of this hold is still in progress")
        if payment.provider_ref is None:
            if not pending:
                return order, payment
            check_start(order.payment_method, self.settings, card_token)
            payment = await payments.resume_payment(
                self.payments, payment, card_token=card_token, capture=True, notify=False
            )
        return await self._follow(order, payment)

    async def _follow(self, order: Order, payment: Payment) -> tuple[Order, Payment]:
        """`_after_payment_update` for the checkout's own payment, recording it on the
        order. Several readers may act on the same money at once (the checkout itself, a
        retry, the buyer's poll, a job): one write wins, and the others answer with the
        order as that write left it instead of 409 — an idempotent checkout would keep
        that 409 as its answer."""
        found = None if order.payment_id else _found(payment)
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
        written to the order in the same write as the reaction. An order that ended
        unpaid keeps no money: whatever its payment captured is refunded."""
        if order.status in ENDED_UNPAID:
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
        elif fields:
            order = await self._set(order, fields)
        return order, payment

    async def _settle_paid(
        self, order: Order, payment: Payment, fields: dict[str, Any] | None = None
    ) -> Order:
        check_transition(order.status, OrderStatus.PAID)
        paid = entry("system", "order.paid", f"payment {payment.id}", _audited(order.event_id))
        order = await self._set(order, {**(fields or {}), "status": OrderStatus.PAID.value}, paid)
        announce(self.jobs, OrderEvent.PAID, order.id)  # tickets are issued off this path
        record_paid(order.event_id, len(order.valid_lines()), order.total_cents, order.currency)
        # Paid (its audit entry in the same write). The receipt is the tickets' e-mail
        # and the organizer's webhooks are theirs (`order_paid`'s listeners, off this
        # path): what is left here is the waiting room's next admission.
        if self.waiting_room is not None:  # the next person in line may come in
            await self.waiting_room.record_checkout_completed(order.event_id, order.buyer_id)
        return order

    # -- worker side ----------------------------------------------------------------------

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
            found = None if order.payment_id else _found(payment)
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
            # Its payment as recorded, or the one its checkout started before stopping
            # short of recording it (found by the id derived from the order).
            payment = await payments.find_payment(
                self.payments, order.payment_id or checkout_payment_id(order.id)
            )
            if payment is not None:  # before giving up: did the money arrive unreported?
                payment = await payments.reconcile(self.payments, payment)
            if payment is not None and payment.status is PaymentStatus.CAPTURED:
                found = None if order.payment_id else _found(payment)
                await self._after_payment_update(order, payment, found)  # paid in time
                continue
            if payment is not None and (order.payment_id or payment.provider_ref):
                await payments.void(self.payments, payment.id)
            await self._abandon(order, OrderStatus.EXPIRED, "payment deadline passed")
            expired += 1
        return expired

    # -- changes by people ----------------------------------------------------------------

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
        if order.payment_id is not None:
            await payments.void(self.payments, order.payment_id)
        return await self._abandon(order, OrderStatus.CANCELLED, reason, actor=buyer.user_id)

    async def mark_paid(self, organizer: Principal, order_id: str) -> Order:
        order = await self.get_for_organizer(organizer, order_id)
        if order.payment_id is None:
            raise OrderChanged("the order has no payment")
        payment = await payments.mark_paid(self.payments, order.payment_id)
        await self._audit(order, organizer.user_id, "order.marked_paid", None)
        order, _ = await self._after_payment_update(order, payment)
        return order

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
            entry(actor, "order.refunded", reason, _audited(order.event_id, amount_cents=amount)),
        )
        announce(self.jobs, OrderEvent.REFUNDED, order.id)
        if amount and order.payment_id is not None:
            await payments.refund(self.payments, order.payment_id, amount)
        await self.inventory.release_sale(order.id, _items(chosen))
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
            if order.payment_id is not None:
                await payments.void(self.payments, order.payment_id)
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

    async def _gives_courtesy(
        self, buyer: Principal, view: EventSalesView, request: CheckoutRequest
    ) -> bool:
        """Courtesy tickets are the organizer's to give: membership is read (live, not
        from the token) only when one is asked for, never on a plain checkout."""
        courtesy = any(
            (ticket_type := view.ticket_type(t.ticket_type_id)) is not None
            and ticket_type.kind is TicketKind.COURTESY
            for t in request.tickets
        )
        if not courtesy or self.memberships is None:
            return False
        return buyer.member_of(view.org_id) or view.org_id in await self.memberships.org_ids(
            buyer.user_id
        )

    # -- reads --------------------------------------------------------------------------

    async def get_for_buyer(self, buyer: Principal, order_id: str) -> Order:
        order = await repo.get(self.db, order_id)
        if order is None or order.buyer_id != buyer.user_id:
            raise OrderNotFound()  # someone else's order does not exist for you
        return order

    async def get_for_organizer(self, organizer: Principal, order_id: str) -> Order:
        order = await repo.get(self.db, order_id)
        if order is None or not organizer.member_of(order.org_id):
            raise OrderNotFound()
        return order

    async def pix_qr_svg(self, buyer: Principal, order_id: str) -> str:
        order = await self.get_for_buyer(buyer, order_id)
        payment = await self.payment_of(order)
        payload = payment.instructions.get("pix_copia_e_cola") if payment else None
        if payload is None:
            raise NotFound("this order has no PIX code", code="pix_code_not_found")
        return qr_svg(payload)

    async def payment_of(self, order: Order) -> Payment | None:
        return await self._payment(order) if order.payment_id else None

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
        payment = await payments.find_payment(
            self.payments, order.payment_id or checkout_payment_id(order.id)
        )
        if payment is not None and datetime.now(UTC) - payment.created_at > _ASK_PSP_AFTER:
            payment = await payments.reconcile(self.payments, payment)
        if payment is None or payment.status is not PaymentStatus.CAPTURED:
            return order, payment if order.payment_id else None
        return await self._follow(order, payment)

    # -- internals ----------------------------------------------------------------------

    async def _payment(self, order: Order) -> Payment:
        assert order.payment_id is not None
        return await payments.get_payment(self.payments, order.payment_id)

    async def _view(self, order: Order) -> EventSalesView:
        return await get_sales_view(self.db, order.event_id)

    async def _take_quotas(self, event_id: str, quotas: dict[str, tuple[int, int]]) -> None:
        taken: dict[str, tuple[int, int]] = {}
        for type_id, (n, quota) in quotas.items():
            if not await repo.take_quota(self.db, event_id, type_id, n, quota):
                await self._return_quotas(event_id, taken)
                raise QuotaExhausted(ticket_type_id=type_id)
            taken[type_id] = (n, quota)

    async def _return_quotas(self, event_id: str, quotas: dict[str, tuple[int, int]]) -> None:
        for type_id, (n, _) in quotas.items():
            await repo.return_quota(self.db, event_id, type_id, n)

    async def _abandon(
        self,
        order: Order,
        status: OrderStatus,
        reason: str,
        actor: str = "system",
        fields: dict[str, Any] | None = None,
    ) -> Order:
        """Leave pending_payment without being paid: the sale and quotas go back."""
        check_transition(order.status, status)
        audited = entry(actor, f"order.{status.value}", reason, _audited(order.event_id))
        order = await self._set(order, {**(fields or {}), "status": status.value}, audited)
        announce(self.jobs, OrderEvent(f"order_{status.value}"), order.id)
        # Whatever `sale_committed` says: a crash between committing the sale and
        # flagging it must not strand sold units (releasing nothing is a no-op).
        await self.inventory.release_sale(order.id)
        await self._return_quotas(
            order.event_id, limited_types(await self._view(order), order.lines)
        )
        return order

    async def _set(
        self, order: Order, fields: dict[str, Any], audited: dict[str, Any] | None = None
    ) -> Order:
        updated = await repo.update_guarded(self.db, order, fields, audited)
        if updated is None:
            raise OrderChanged()
        return updated

    async def _audit(
        self,
        order: Order,
        actor: str,
        action: str,
        reason: str | None,
        data: dict[str, Any] | None = None,
    ) -> None:
        await audit.record(
            self.db, actor=actor, action=action, subject=order.id, reason=reason,
            data={"event_id": order.event_id, "status": order.status.value, **(data or {})},
        )  # fmt: skip


def _audited(event_id: str, **data: Any) -> dict[str, Any]:
    return {"event_id": event_id, **data}


def _items(lines: list[OrderLine]) -> SaleItems:
    ga: dict[str, int] = {}
    for line in lines:
        if line.area_id:
            ga[line.area_id] = ga.get(line.area_id, 0) + 1
    return SaleItems(seats=[line.seat_id for line in lines if line.seat_id], ga=ga)
