"""Money without a ticket: a capture whose order holds no live sale is given back.

Invariant 7 ("money is never kept without a ticket"). A payment can be captured after its
order stopped holding a sale — the buyer cancelled a PIX order and paid its BR Code
anyway, the money arrived after the deadline sweep expired the order, a webhook came
late or twice — because the payer's bank does not ask us first. Two paths return it:

- at once: the order service reacts to the payment's new state (`payments.changed`,
  a checkout or a retry that finds the order ended) with `return_late_money`;
- later, whatever was missed (a lost job, a webhook never delivered, a crash between a
  refunded order and its payment's refund): `reconcile`, a periodic pass under a lease.

Why this is safe to run from anywhere, any number of times, concurrently:
- the orders it acts on are in a terminal state (`NO_SALE`: nothing leads out of
  cancelled, expired or refunded), so a decision to refund cannot be overtaken by the
  order becoming paid — a capture racing the buyer's cancel is decided by the order's
  own guarded write (`paid` or `cancelled`, exactly one wins) before this code looks;
- the refund itself is claimed on the payment's version (`payments.refund`): of two
  callers, one claims it and the other finds it claimed — money goes back once, and
  only the caller that claimed it writes the audit entry.

The immediate path acts on orders that ended unpaid (`ENDED_UNPAID`); a refunded order
is left to the reconciliation, after `RECONCILE_GRACE`, because an organizer's refund
writes the order before the payment. Cost: each pass reads every order without a live
sale (no index is added for it: on the embedded server every index costs each order
write) and, for a voided or waiting payment, asks the PSP once; hence the interval
(`payments_reconcile_interval_s`, 300 s by default).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from ticketsafe.infra import audit
from ticketsafe.orders import repository as repo
from ticketsafe.orders.models import NO_SALE, Order
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import Payment, PaymentStatus
from ticketsafe.payments.processors import ProviderContext

log = logging.getLogger("ticketsafe.orders")

LATE_MONEY_REFUNDED = "order.late_payment_refunded"

# The reconciliation leaves alone an order changed less than this long ago: a refund by
# an organizer writes the order (`refunded`) before it refunds the payment, and must not
# find its money returned by someone else in between.
RECONCILE_GRACE = timedelta(minutes=2)

_HOLDING = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)


def money_held(payment: Payment) -> int:
    """Cents of this payment we hold (captured, not yet refunded)."""
    if payment.status not in _HOLDING:
        return 0
    return max(0, payment.captured_cents - payment.refunded_cents)


async def return_late_money(
    ctx: ProviderContext, order: Order, payment_id: str, *, actor: str = "system"
) -> tuple[Payment, int]:
    """Refund all the money `payment_id` holds for `order`, which holds no live sale
    (the caller read it in a `NO_SALE` state). Idempotent; returns the payment as it
    stands after and the cents this call refunded (0: nothing held, or another caller
    claimed the refund first)."""
    assert order.status in NO_SALE, order.status
    payment = await payments.get_payment(ctx, payment_id)
    amount = money_held(payment)
    if amount == 0:
        return payment, 0
    try:
        refunded = await payments.refund(ctx, payment.id, amount)
    except payments.PaymentConflict:  # another reader claimed it (or it moved): as it stands
        return await payments.get_payment(ctx, payment_id), 0
    log.warning(
        "money captured for an order without a live sale was refunded",
        extra={"order_id": order.id, "payment_id": payment.id, "status": order.status.value},
    )
    await audit.record(
        ctx.db, actor=actor, action=LATE_MONEY_REFUNDED, subject=order.id,
        reason=f"payment captured while the order is {order.status.value}",
        data={"event_id": order.event_id, "status": order.status.value,
              "payment_id": payment.id, "amount_cents": amount},
    )  # fmt: skip
    return refunded, amount


async def reconcile(
    ctx: ProviderContext, *, settled_for: timedelta = RECONCILE_GRACE, batch: int = 200
) -> int:
    """Find every payment holding money for an order without a live sale and refund it;
    returns how many were refunded. The orders come from one pass over the collection,
    their payments in one read per `batch` of orders. A payment our books still show
    waiting or voided is first checked with the PSP (`payments.reconcile`): money whose
    webhook never came — a PIX paid after its order was cancelled — is found and
    returned too."""
    refunded = 0
    changed_before = datetime.now(UTC) - settled_for
    async for orders in repo.without_live_sale(ctx.db, changed_before, batch):
        by_payment = {repo.payment_id_of(order): order for order in orders}
        recorded = await payments.find_payments(ctx, list(by_payment))
        # The PSP asked about the whole batch at once (one Redis pipeline for the sandbox).
        for payment in await asyncio.gather(*(payments.reconcile(ctx, p) for p in recorded)):
            if money_held(payment) == 0:
                continue
            _, amount = await return_late_money(
                ctx, by_payment[payment.id], payment.id, actor="system:reconciliation"
            )
            refunded += amount > 0
    return refunded
