"""The payment providers behind one interface. Orders pick one per event/order.

Every provider answers `start` with where the payment stands now and what the buyer must
do next (`instructions`): nothing (free), wire money (bank transfer), scan/copy a BR Code
(PIX), or complete a challenge (card). Card payments are authorised only: capture happens
after our sale commit, so we never charge for a ticket we could not deliver.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, NotFound
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings
from ticketsafe.payments.brcode import PixCharge
from ticketsafe.payments.models import CardSummary, Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.sandbox_psp import service as psp
from ticketsafe.payments.sandbox_psp.service import ChargeState


@dataclass(frozen=True)
class ProviderContext:
    db: Database
    redis: RedisClient  # where the sandbox PSP keeps its own ledger
    jobs: JobBuffer
    settings: Settings


@dataclass(frozen=True)
class StartResult:
    status: PaymentStatus
    provider_ref: str | None = None
    instructions: dict[str, str] | None = None
    card: CardSummary | None = None
    test_mode: bool = False


class PaymentProvider(Protocol):
    method: PaymentMethod

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult: ...

    async def capture(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus: ...

    async def void(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus: ...

    async def refund(self, ctx: ProviderContext, payment: Payment, amount_cents: int) -> None: ...

    async def money_in(self, ctx: ProviderContext, payment: Payment) -> bool:
        """Whether the PSP holds this payment's money, asked directly: its webhook saying
        so can be lost (delivered to a process that died, or never sent)."""
        ...


class _NoGateway:
    """Providers where money moves outside any gateway: capture/void are bookkeeping."""

    async def capture(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        return PaymentStatus.CAPTURED

    async def void(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        return PaymentStatus.VOIDED

    async def refund(self, ctx: ProviderContext, payment: Payment, amount_cents: int) -> None:
        return None  # recorded by the service; the organizer returns the money by hand

    async def money_in(self, ctx: ProviderContext, payment: Payment) -> bool:
        return False  # nobody to ask: the organizer marks the money received


class FreeProvider(_NoGateway):
    method = PaymentMethod.FREE

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult:
        if payment.amount_cents != 0:
            raise BusinessRuleViolation("only zero-price orders are free", code="not_free")
        return StartResult(PaymentStatus.CAPTURED)


class BankTransferProvider(_NoGateway):
    """Manual: the organizer marks the order paid when the transfer arrives."""

    method = PaymentMethod.BANK_TRANSFER

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult:
        reference = payment.id.removeprefix("pay_")[:12].upper()
        return StartResult(
            PaymentStatus.PENDING,
            provider_ref=reference,
            instructions={
                "bank_details": ctx.settings.bank_transfer_details,
                "reference": reference,
                "amount": _money(payment.amount_cents, payment.currency),
            },
        )


class PixProvider:
    """A BR Code for the amount; the PSP confirms by signed webhook (`pix.received`)."""

    method = PaymentMethod.PIX

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult:
        if payment.currency != "BRL":
            raise BusinessRuleViolation("PIX takes BRL only", code="currency_not_supported")
        txid = "".join(ch for ch in payment.id if ch.isalnum())[:25]
        payload = PixCharge(
            pix_key=ctx.settings.pix_key,
            merchant_name=ctx.settings.pix_merchant_name,
            merchant_city=ctx.settings.pix_merchant_city,
            amount_cents=payment.amount_cents,
            txid=txid,
        ).payload()
        await psp.create_pix_charge(
            ctx.redis, txid=txid, amount_cents=payment.amount_cents, reference=payment.id
        )
        # The transaction id is inside the BR Code too; given apart, a client (and the
        # sandbox's "pay" call, which stands in for the payer's bank) needs no decoder.
        instructions = {"pix_copia_e_cola": payload, "pix_txid": txid}
        if ctx.settings.payments_sandbox:
            instructions["sandbox_pay_url"] = f"/sandbox-psp/v1/pix/{txid}/pay"
        return StartResult(
            PaymentStatus.PENDING,
            provider_ref=f"pix_{txid}",
            # The QR image is drawn on request (`qr_svg`), not stored: it costs more CPU
            # than the rest of a checkout and says nothing the payload does not.
            instructions=instructions,
            test_mode=ctx.settings.payments_sandbox,
        )

    async def capture(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        return PaymentStatus.CAPTURED  # PIX settles instantly: received means captured

    async def void(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        return PaymentStatus.VOIDED  # an unpaid BR Code simply expires

    async def refund(self, ctx: ProviderContext, payment: Payment, amount_cents: int) -> None:
        assert payment.provider_ref is not None
        await psp.refund(ctx.redis, ctx.jobs, payment.provider_ref, amount_cents)

    async def money_in(self, ctx: ProviderContext, payment: Payment) -> bool:
        return await _captured_at_psp(ctx, payment)


class CardSandboxProvider:
    """TEST MODE card gateway: tokenised card, authorise → (our sale commit) → capture."""

    method = PaymentMethod.CARD_SANDBOX

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult:
        if not card_token:
            raise CardTokenRequired("a card token is required")
        charge = await psp.authorize_card(
            ctx.redis,
            ctx.jobs,
            token=card_token,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            reference=payment.id,
            payer=payment.payer_id,
        )
        card = CardSummary(
            token=card_token, brand=charge.card_brand or "unknown", last4=charge.card_last4 or ""
        )
        status = {  # a charge asked for again (same reference) may be further along
            ChargeState.AUTHORIZED: PaymentStatus.AUTHORIZED,
            ChargeState.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
            ChargeState.CAPTURED: PaymentStatus.CAPTURED,
            ChargeState.VOIDED: PaymentStatus.VOIDED,
        }.get(charge.state, PaymentStatus.FAILED)
        instructions = {"challenge_url": charge.challenge_url} if charge.challenge_url else {}
        if charge.decline_code:
            instructions["decline_code"] = charge.decline_code
        return StartResult(status, charge.id, instructions, card, test_mode=True)

    async def capture(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        assert payment.provider_ref is not None
        try:
            charge = await psp.capture(ctx.redis, ctx.jobs, payment.provider_ref)
        except NotFound:  # the gateway lost the authorisation: nothing can be captured
            raise Conflict("the card charge is unknown", code="capture_failed") from None
        if charge.state is not ChargeState.CAPTURED:
            raise Conflict("the card charge could not be captured", code="capture_failed")
        return PaymentStatus.CAPTURED

    async def void(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        if payment.provider_ref is not None:
            # An authorisation the gateway no longer knows holds no money: void is done.
            with contextlib.suppress(NotFound):
                await psp.void(ctx.redis, ctx.jobs, payment.provider_ref)
        return PaymentStatus.VOIDED

    async def refund(self, ctx: ProviderContext, payment: Payment, amount_cents: int) -> None:
        assert payment.provider_ref is not None
        await psp.refund(ctx.redis, ctx.jobs, payment.provider_ref, amount_cents)

    async def money_in(self, ctx: ProviderContext, payment: Payment) -> bool:
        return await _captured_at_psp(ctx, payment)


async def _captured_at_psp(ctx: ProviderContext, payment: Payment) -> bool:
    if payment.provider_ref is None:
        return False
    try:
        charge = await psp.get_charge(ctx.redis, payment.provider_ref)
    except NotFound:
        return False
    return charge.state is ChargeState.CAPTURED


def _money(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"


class CardTokenRequired(BusinessRuleViolation):
    code = "card_token_required"


def check_start(method: PaymentMethod, settings: Settings, card_token: str | None) -> None:
    """What starting a payment would refuse before any money moves — checked by a caller
    before it commits anything (checkout, before the sale), so a refusal leaves nothing
    behind to clean up."""
    provider_for(method, settings)  # the method must be available
    if method is PaymentMethod.CARD_SANDBOX and not card_token:
        raise CardTokenRequired("a card token is required")


def provider_for(method: PaymentMethod, settings: Settings) -> PaymentProvider:
    if method is PaymentMethod.CARD_SANDBOX and not settings.payments_sandbox:
        raise BusinessRuleViolation("the sandbox card gateway is off", code="method_unavailable")
    providers: dict[PaymentMethod, PaymentProvider] = {
        PaymentMethod.FREE: FreeProvider(),
        PaymentMethod.BANK_TRANSFER: BankTransferProvider(),
        PaymentMethod.PIX: PixProvider(),
        PaymentMethod.CARD_SANDBOX: CardSandboxProvider(),
    }
    return providers[method]
