"""Payments: start, capture, void, refund, and PSP webhooks.

Orders call these; every status change defers `payments.changed` (payment id) so orders
react in the worker — payments never call orders directly.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson

from ticketsafe.infra.errors import Conflict, NotFound, TicketSafeError
from ticketsafe.payments import repository as repo
from ticketsafe.payments.metrics import record_attempt, record_failure
from ticketsafe.payments.models import (
    InvalidPaymentTransition,
    Payment,
    PaymentMethod,
    PaymentStatus,
    advance,
)
from ticketsafe.payments.providers import ProviderContext, provider_for
from ticketsafe.payments.webhooks import forget_event, remember_event, verify

log = logging.getLogger("ticketsafe.payments")

PAYMENT_CHANGED_JOB = "payments.changed"
SANDBOX_PROVIDER = "sandbox_psp"

_PSP_EVENT_STATUS = {
    "charge.authorized": PaymentStatus.AUTHORIZED,
    "charge.failed": PaymentStatus.FAILED,
    "charge.captured": PaymentStatus.CAPTURED,
    "charge.voided": PaymentStatus.VOIDED,
    "pix.received": PaymentStatus.CAPTURED,
}


class PaymentConflict(Conflict):
    code = "payment_state_conflict"
    title = "The payment is not in a state that allows this"


async def start_payment(
    ctx: ProviderContext,
    *,
    order_id: str,
    method: PaymentMethod,
    amount_cents: int,
    currency: str,
    card_token: str | None = None,
    capture: bool = False,
    notify: bool = True,
    payment_id: str | None = None,
    payer_id: str | None = None,
) -> Payment:
    """Start paying; with `capture`, an authorisation is captured at once (the caller's
    sale already stands) and recorded in the same write. `notify=False` when the caller
    reacts to the result itself, in this request: the `payments.changed` job would only
    re-read what it already handled. (A crash midway is reconciled all the same: the
    PSP's webhooks and the orders' deadline sweep read the payment as it stands.)
    `payment_id` (a fresh `pay_…` id by default) lets the caller find this payment again
    without having recorded it: a checkout derives it from its order. `payer_id` (the
    buyer's user id) is who may complete the PSP's card challenge."""
    now = datetime.now(UTC)
    payment = Payment(
        id=payment_id or f"pay_{secrets.token_urlsafe(12)}",
        order_id=order_id,
        payer_id=payer_id,
        method=method,
        status=PaymentStatus.PENDING,
        amount_cents=amount_cents,
        currency=currency,
        created_at=now,
        updated_at=now,
    )
    await repo.insert(ctx.db, payment)
    return await _drive(ctx, payment, card_token, capture=capture, notify=notify)


async def resume_payment(
    ctx: ProviderContext,
    payment: Payment,
    *,
    card_token: str | None,
    capture: bool = False,
    notify: bool = True,
) -> Payment:
    """Ask the PSP again for a payment whose start was never recorded (the process that
    started it died, or lost a store, during the PSP's call). The PSP answers the charge
    it made for our reference (the payment id) as it stands, or makes it now: never a
    second charge. A payment whose start was recorded is returned as it is."""
    if payment.provider_ref is not None or payment.status is not PaymentStatus.PENDING:
        return payment
    return await _drive(ctx, payment, card_token, capture=capture, notify=notify)


async def _drive(
    ctx: ProviderContext,
    payment: Payment,
    card_token: str | None,
    *,
    capture: bool,
    notify: bool,
) -> Payment:
    """The PSP's side of starting `payment` (stored, pending), then recording it."""
    provider = provider_for(payment.method, ctx.settings)
    record_attempt(payment)
    try:
        result = await provider.start(ctx, payment, card_token)
    except Exception as exc:
        # A refusal of ours (bad token, say) is not the processor failing.
        if not isinstance(exc, TicketSafeError):
            record_failure(payment, "error")
        raise
    if result.status is PaymentStatus.FAILED:
        record_failure(payment, "declined")
    fields: dict[str, Any] = {
        "provider_ref": result.provider_ref,
        "instructions": result.instructions or {},
        "test_mode": result.test_mode,
        "card": result.card.model_dump() if result.card else None,
    }
    status = result.status
    if capture and status is PaymentStatus.AUTHORIZED:
        try:
            authorised = payment.model_copy(update={"provider_ref": result.provider_ref})
            status = await provider.capture(ctx, authorised)
        except Conflict:  # the authorisation stands; record it and let the caller decide
            await _record_start(ctx, payment, status, fields, notify=True)
            raise
    return await _record_start(ctx, payment, status, fields, notify=notify)


async def _record_start(
    ctx: ProviderContext,
    payment: Payment,
    status: PaymentStatus,
    fields: dict[str, Any],
    *,
    notify: bool,
) -> Payment:
    inc = {"captured_cents": payment.amount_cents} if status is PaymentStatus.CAPTURED else None
    updated = await repo.update_guarded(ctx.db, payment, status=status, fields=fields, inc=inc)
    if notify or updated is None:
        _notify_changed(ctx, payment.id)
    # A PSP notification may have moved it already: then read where it stands.
    return updated or await get_payment(ctx, payment.id)


async def reconcile(ctx: ProviderContext, payment: Payment) -> Payment:
    """Our payment as the PSP has it, for money we never heard of: a payment still
    waiting (pending, authorised, in a 3-D-Secure step), or voided (money can arrive
    anyway: a PIX paid after its order ended), whose money the PSP holds is recorded
    captured, as its webhook would have recorded it (the webhook was lost: its delivery
    died with a process or a store). Anything else stays as our books say."""
    waiting = (
        PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.VOIDED,
    )  # fmt: skip
    if payment.provider_ref is None or payment.status not in waiting:
        return payment
    if not await provider_for(payment.method, ctx.settings).money_in(ctx, payment):
        return payment
    log.warning("money found at the PSP that no webhook reported", extra={"payment_id": payment.id})
    try:
        return await _record(
            ctx, payment, PaymentStatus.CAPTURED, inc={"captured_cents": payment.amount_cents}
        )
    except PaymentConflict:  # the webhook (or another reader) recorded it meanwhile
        return await get_payment(ctx, payment.id)


async def find_payment(ctx: ProviderContext, payment_id: str) -> Payment | None:
    return await repo.get(ctx.db, payment_id)


async def find_payments(ctx: ProviderContext, payment_ids: list[str]) -> list[Payment]:
    """Those of these payments that exist (one read)."""
    return await repo.get_many(ctx.db, payment_ids)


async def get_payment(ctx: ProviderContext, payment_id: str) -> Payment:
    payment = await find_payment(ctx, payment_id)
    if payment is None:
        raise NotFound("no such payment", code="payment_not_found")
    return payment


async def capture(
    ctx: ProviderContext, payment_id: str, *, current: Payment | None = None
) -> Payment:
    """Capture an authorised payment — call only after the sale is committed. `current`:
    the payment as the caller holds it (saves reading it again; a stale copy is refused
    by the version guard)."""
    payment = current if current is not None else await get_payment(ctx, payment_id)
    if payment.status is PaymentStatus.CAPTURED:
        return payment
    if payment.status is PaymentStatus.VOIDED:  # only money that arrives anyway revives it
        raise PaymentConflict("a voided payment cannot be captured", status_now="voided")
    _check(payment, PaymentStatus.CAPTURED)
    status = await provider_for(payment.method, ctx.settings).capture(ctx, payment)
    return await _record(ctx, payment, status, inc={"captured_cents": payment.amount_cents})


async def mark_paid(ctx: ProviderContext, payment_id: str) -> Payment:
    """Bank transfer: the organizer saw the money arrive."""
    payment = await get_payment(ctx, payment_id)
    if payment.method is not PaymentMethod.BANK_TRANSFER:
        raise PaymentConflict("only bank transfers are marked paid by hand")
    return await capture(ctx, payment_id)


async def void(ctx: ProviderContext, payment_id: str) -> Payment:
    """Give up an unpaid or authorised-only payment (the hold expired, the sale failed)."""
    payment = await get_payment(ctx, payment_id)
    if payment.status in (PaymentStatus.VOIDED, PaymentStatus.FAILED):
        return payment
    _check(payment, PaymentStatus.VOIDED)
    status = await provider_for(payment.method, ctx.settings).void(ctx, payment)
    return await _record(ctx, payment, status)


async def refund(ctx: ProviderContext, payment_id: str, amount_cents: int) -> Payment:
    payment = await get_payment(ctx, payment_id)
    remaining = payment.captured_cents - payment.refunded_cents
    if amount_cents <= 0 or amount_cents > remaining:
        raise PaymentConflict(
            f"refund must be between 1 and {remaining} cents", refundable_cents=remaining
        )
    full = amount_cents == remaining
    target = PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
    _check(payment, target)
    # Claim the refund first (version guard), then ask the provider: two racing refunds
    # cannot both pass the claim, so money is never returned twice.
    claimed = await repo.update_guarded(
        ctx.db, payment, status=target, inc={"refunded_cents": amount_cents}
    )
    if claimed is None:
        raise PaymentConflict("the payment changed meanwhile; retry")
    try:
        await provider_for(payment.method, ctx.settings).refund(ctx, payment, amount_cents)
    except Exception:
        # The PSP refused or could not be reached: the claim is given back (guarded on
        # its own version: an undo, not a move of the state machine), so our books do
        # not show money returned that was not, and the refund can be asked for again
        # (a retry; for an order without a live sale, the late-money reconciliation).
        # A crash between the claim and this leaves the claim standing.
        with contextlib.suppress(Exception):
            await repo.update_guarded(
                ctx.db, claimed, status=payment.status, inc={"refunded_cents": -amount_cents}
            )
        raise
    _notify_changed(ctx, payment.id)
    return claimed


async def handle_psp_webhook(ctx: ProviderContext, body: bytes, signature: str | None) -> str:
    """Verify, dedupe and apply one sandbox-PSP event. Returns what was done."""
    assert ctx.settings.psp_webhook_secret is not None
    verify(ctx.settings.psp_webhook_secret.get_secret_value(), body, signature)
    event = orjson.loads(body)
    if not await remember_event(ctx.redis, SANDBOX_PROVIDER, event["id"]):
        return "duplicate"
    try:
        return await _apply_psp_event(ctx, event)
    except BaseException:
        await forget_event(ctx.redis, SANDBOX_PROVIDER, event["id"])
        raise


async def _apply_psp_event(ctx: ProviderContext, event: dict[str, Any]) -> str:
    target = _PSP_EVENT_STATUS.get(event["type"])
    if target is None:
        return "ignored"  # e.g. charge.refunded: we recorded the refund when we asked for it
    payment = await _payment_of_event(ctx, event["data"])
    if payment is None:
        return "unknown_payment"
    if payment.status is target:
        return "already_applied"
    try:
        advance(payment.status, target)
    except InvalidPaymentTransition:
        # Out of order (e.g. "authorized" arriving after "captured"): we are already past it.
        log.info("stale payment event ignored", extra={"event_type": event["type"]})
        return "stale"
    inc = {"captured_cents": payment.amount_cents} if target is PaymentStatus.CAPTURED else None
    found = {"provider_ref": event["data"]["id"]} if payment.provider_ref is None else None
    await _record(ctx, payment, target, inc=inc, fields=found)
    if target is PaymentStatus.FAILED:
        record_failure(payment, "declined")
    return "applied"


async def _payment_of_event(ctx: ProviderContext, charge: dict[str, Any]) -> Payment | None:
    """Our payment for the PSP's charge: by the reference we gave the PSP (our payment
    id, a primary-key read), else by the charge id we recorded. The reference also finds
    the money when a crash between the PSP's answer and our write left the charge id
    unrecorded."""
    reference = charge.get("reference")
    if isinstance(reference, str) and reference.startswith("pay_"):
        payment = await repo.get(ctx.db, reference)
        if payment is not None and payment.provider_ref not in (None, charge["id"]):
            return None  # that payment belongs to another charge
        return payment
    # The embedded MongoDB-wire server cannot use the partial index on provider_ref (it
    # scans the collection), so this path is only for events without our reference.
    return await repo.get_by_provider_ref(ctx.db, charge["id"])


def _notify_changed(ctx: ProviderContext, payment_id: str) -> None:
    """Queue "payment changed" for the orders domain; urgent: a buyer may be waiting on
    their order's status, so it goes ahead of receipts and organizer webhooks."""
    ctx.jobs.defer(PAYMENT_CHANGED_JOB, {"payment_id": payment_id}, urgent=True)


def _check(payment: Payment, target: PaymentStatus) -> None:
    try:
        advance(payment.status, target)
    except InvalidPaymentTransition as exc:
        raise PaymentConflict(str(exc), status_now=payment.status.value) from None


async def _record(
    ctx: ProviderContext,
    payment: Payment,
    status: PaymentStatus,
    inc: dict[str, int] | None = None,
    fields: dict[str, Any] | None = None,
) -> Payment:
    updated = await repo.update_guarded(ctx.db, payment, status=status, inc=inc, fields=fields)
    if updated is None:
        raise PaymentConflict("the payment changed meanwhile; retry")
    _notify_changed(ctx, payment.id)
    return updated
