"""Checkout: a hold becomes an order, its sale committed, then paid.

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

import time
from datetime import UTC, datetime, timedelta

from ticketsafe.catalog.events.schemas import TicketKind
from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.service import seal_pii
from ticketsafe.infra.errors import RequestInProgress
from ticketsafe.inventory.errors import HoldExpired, SeatsTaken
from ticketsafe.inventory.service import event_of
from ticketsafe.orders import repository as repo
from ticketsafe.orders.base import audit_data
from ticketsafe.orders.errors import (
    EventNotOnSale,
    OrderNotFound,
    PriceChanged,
)
from ticketsafe.orders.events import OrderEvent, announce
from ticketsafe.orders.models import (
    Order,
    OrderStatus,
    entry,
)
from ticketsafe.orders.pricing import limited_types, price_tickets
from ticketsafe.orders.repository import checkout_payment_id
from ticketsafe.orders.schemas import CheckoutRequest
from ticketsafe.orders.settlement import Settlement
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import Payment, PaymentMethod
from ticketsafe.payments.processors import check_start

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


class Checkout(Settlement):
    """A hold becomes an order, its sale committed, then paid (see the module)."""

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
            history=[entry(buyer.user_id, "order.created", None, audit_data(view.event_id))],
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
        # The order's next change of state records the committed sale and the payment
        # in its one write: `paid` here when the money is in at once; an order left
        # pending (a transfer, a PIX, a card challenge awaited) is not written again
        # (`payment_found`): its payment is found by the id derived from the order, as
        # after a crash or a store outage before that write: a retried checkout, the
        # PSP's webhook, the buyer's poll or the deadline sweep settles it as the money
        # stands (`_retried`, `expire_overdue`), else `_abandon` releases the sale at
        # its deadline.
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
