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

from pymongo.errors import DuplicateKeyError

from ticketsafe.infra.errors import Conflict, NotFound, ServiceBusy, TicketSafeError
from ticketsafe.payments import repository as repo
from ticketsafe.payments.metrics import record_attempt, record_failure
from ticketsafe.payments.models import (
    InvalidPaymentTransition,
    Method,
    Payment,
    PaymentMethod,
    PaymentStatus,
    advance,
)
from ticketsafe.payments.processors import (
    PROCESSORS,
    ProviderContext,
    PspEvent,
    processor_of,
    route,
)
from ticketsafe.payments.webhooks import forget_event, remember_event

log = logging.getLogger("ticketsafe.payments")

PAYMENT_CHANGED_JOB = "payments.changed"


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
    sale already stands). The PSP is asked first and its answer recorded in the
    payment's one write (its insert): a payment is written once from checkout to paid
    when the PSP answers at once. `notify=False` when the caller reacts to the result
    itself, in this request: the `payments.changed` job would only re-read what it
    already handled. `payment_id` (a fresh `pay_…` id by default) is the PSP's
    reference (its idempotency key) and lets the caller find this payment again: a
    checkout derives it from its order. A crash between the PSP's answer and the insert
    loses nothing: asked again with the same reference the PSP answers the same charge,
    and its webhook, which names our reference and order (`handle_webhook`), records a
    payment we never wrote. `payer_id` (the buyer's user id) is who may complete the
    PSP's card challenge."""
    now = datetime.now(UTC)
    processor, paid_by = route(method, ctx.settings)
    payment = Payment(
        id=payment_id or f"pay_{secrets.token_urlsafe(12)}",
        order_id=order_id,
        payer_id=payer_id,
        processor=processor.name,
        method=paid_by,
        status=PaymentStatus.PENDING,
        amount_cents=amount_cents,
        currency=currency,
        created_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        updated_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
    )
    status, fields, refused = await _ask_psp(ctx, payment, card_token, capture=capture)
    captured = payment.amount_cents if status is PaymentStatus.CAPTURED else 0
    started = Payment.model_validate(
        {**payment.model_dump(), **fields, "status": status, "captured_cents": captured}
    )
    try:
        await repo.insert(ctx.db, started)
    except DuplicateKeyError:  # a concurrent start, or the PSP's webhook, recorded it first
        _notify_changed(ctx, payment.id)
        stored = await _completed(ctx, await get_payment(ctx, payment.id), fields)
        if refused is not None:
            raise refused from None
        return stored
    if notify or refused is not None:
        _notify_changed(ctx, payment.id)
    if refused is not None:  # the authorisation stands, recorded; the caller decides
        raise refused
    return started


async def _completed(ctx: ProviderContext, stored: Payment, fields: dict[str, Any]) -> Payment:
    """A payment its PSP's webhook recorded first knows only what the event said: what
    only the PSP's answer carries (the card's brand and last four, the instructions) is
    added, without moving its status (a guarded write, on this race only)."""
    missing = {k: v for k, v in fields.items() if v and not getattr(stored, k)}
    if not missing:
        return stored
    updated = await repo.update_guarded(ctx.db, stored, status=stored.status, fields=missing)
    return updated or await get_payment(ctx, stored.id)


async def resume_payment(
    ctx: ProviderContext,
    payment: Payment,
    *,
    card_token: str | None,
    capture: bool = False,
    notify: bool = True,
) -> Payment:
    """Ask the PSP again for a payment stored pending whose start was never recorded
    (payments made before the PSP's answer was written with the insert). The PSP answers
    the charge it made for our reference (the payment id) as it stands, or makes it now:
    never a second charge. A payment whose start was recorded is returned as it is."""
    if payment.provider_ref is not None or payment.status is not PaymentStatus.PENDING:
        return payment
    status, fields, refused = await _ask_psp(ctx, payment, card_token, capture=capture)
    recorded = await _record_start(ctx, payment, status, fields, notify=notify or bool(refused))
    if refused is not None:
        raise refused
    return recorded


async def _ask_psp(
    ctx: ProviderContext, payment: Payment, card_token: str | None, *, capture: bool
) -> tuple[PaymentStatus, dict[str, Any], Conflict | None]:
    """The PSP's side of starting `payment`: where it stands, the fields to record, and
    the capture's refusal (the authorisation stands) if there was one."""
    provider = processor_of(payment)
    record_attempt(payment)
    try:
        result = await provider.start(ctx, payment, card_token)
    except Exception as exc:
        # A refusal of ours (bad token, say) is not the processor failing; its silence is.
        if not isinstance(exc, TicketSafeError) or isinstance(exc, ServiceBusy):
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
        except Conflict as refused:
            return status, fields, refused
    return status, fields, None


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
    if not await processor_of(payment).money_in(ctx, payment):
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
    status = await processor_of(payment).capture(ctx, payment)
    return await _record(ctx, payment, status, inc={"captured_cents": payment.amount_cents})


async def mark_paid(ctx: ProviderContext, payment_id: str) -> Payment:
    """Bank transfer: the organizer saw the money arrive."""
    payment = await get_payment(ctx, payment_id)
    if payment.method is not Method.TRANSFER:
        raise PaymentConflict("only bank transfers are marked paid by hand")
    return await capture(ctx, payment_id)


async def void(ctx: ProviderContext, payment_id: str) -> Payment:
    """Give up an unpaid or authorised-only payment (the hold expired, the sale failed)."""
    payment = await get_payment(ctx, payment_id)
    if payment.status in (PaymentStatus.VOIDED, PaymentStatus.FAILED):
        return payment
    _check(payment, PaymentStatus.VOIDED)
    status = await processor_of(payment).void(ctx, payment)
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
        await processor_of(payment).refund(ctx, payment, amount_cents)
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


async def handle_webhook(
    ctx: ProviderContext, processor: str, body: bytes, signature: str | None
) -> str:
    """Verify, dedupe and apply one event of a processor (its module parses it).
    Returns what was done."""
    event = PROCESSORS[processor].parse_webhook(ctx.settings, body, signature)
    if not await remember_event(ctx.redis, processor, event.id):
        return "duplicate"
    try:
        return await _apply_psp_event(ctx, processor, event)
    except BaseException:
        await forget_event(ctx.redis, processor, event.id)
        raise


async def _apply_psp_event(ctx: ProviderContext, processor: str, event: PspEvent) -> str:
    target = event.target
    if target is None:
        return "ignored"  # e.g. a refund: we recorded it when we asked for it
    payment = await _payment_of_event(ctx, event)
    if payment is None:
        return await _record_unknown(ctx, processor, event)
    if payment.status is target:
        return "already_applied"
    try:
        advance(payment.status, target)
    except InvalidPaymentTransition:
        # Out of order (e.g. "authorized" arriving after "captured"): we are already past it.
        log.info("stale payment event ignored", extra={"event_type": event.type})
        return "stale"
    inc = {"captured_cents": payment.amount_cents} if target is PaymentStatus.CAPTURED else None
    found = {"provider_ref": event.charge_id} if payment.provider_ref is None else None
    await _record(ctx, payment, target, inc=inc, fields=found)
    if target is PaymentStatus.FAILED:
        record_failure(payment, "declined")
    return "applied"


async def _payment_of_event(ctx: ProviderContext, event: PspEvent) -> Payment | None:
    """Our payment for the PSP's charge: by the reference we gave the PSP (our payment
    id, a primary-key read), else by the charge id we recorded. The reference also finds
    the money when a crash between the PSP's answer and our write left the charge id
    unrecorded."""
    reference = event.reference
    if reference is not None and reference.startswith("pay_"):
        payment = await repo.get(ctx.db, reference)
        if payment is not None and payment.provider_ref not in (None, event.charge_id):
            return None  # that payment belongs to another charge
        return payment
    # The embedded MongoDB-wire server cannot use the partial index on provider_ref (it
    # scans the collection), so this path is only for events without our reference.
    return await repo.get_by_provider_ref(ctx.db, event.charge_id)


async def _record_unknown(ctx: ProviderContext, processor: str, event: PspEvent) -> str:
    """A charge for our reference that we never recorded: the process that asked the
    PSP died (or lost MongoDB) before its insert. The event names the order (the charge's
    metadata): the payment is recorded as the PSP has it, and orders react to it (money
    for an order that ended is returned, `orders.late_money`)."""
    charge = event.charge
    if charge is None or event.reference is None or not event.reference.startswith("pay_"):
        return "unknown_payment"
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    assert event.target is not None
    captured = charge.amount_cents if event.target is PaymentStatus.CAPTURED else 0
    payment = Payment(
        id=event.reference, order_id=charge.order_id, processor=processor,
        method=charge.method, status=event.target, amount_cents=charge.amount_cents,
        currency=charge.currency, captured_cents=captured, provider_ref=event.charge_id,
        test_mode=charge.test_mode, created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        await repo.insert(ctx.db, payment)
    except DuplicateKeyError:  # recorded meanwhile: applied as any other event
        return await _apply_psp_event(ctx, processor, event)
    log.warning("a charge we never recorded was recorded from its webhook",
                extra={"payment_id": payment.id})  # fmt: skip
    _notify_changed(ctx, payment.id)
    return "recorded"


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
