"""No gateway: free orders and bank transfers. Money moves outside any PSP, so capture
and void are bookkeeping; the organizer marks a transfer received and returns refunds
by hand. It sends no webhooks."""

from __future__ import annotations

from typing import ClassVar

from ticketsafe.infra.errors import BusinessRuleViolation, NotFound
from ticketsafe.infra.settings import Settings
from ticketsafe.payments.models import Method, Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.processors.base import ProviderContext, PspEvent, StartResult, money


class ManualProcessor:
    name: ClassVar[str] = "manual"
    options: ClassVar[dict[PaymentMethod, Method]] = {
        PaymentMethod.FREE: Method.FREE,
        PaymentMethod.BANK_TRANSFER: Method.TRANSFER,
    }

    def enabled(self, settings: Settings) -> bool:
        return True

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult:
        if payment.method is Method.FREE:
            if payment.amount_cents != 0:
                raise BusinessRuleViolation("only zero-price orders are free", code="not_free")
            return StartResult(PaymentStatus.CAPTURED)
        reference = payment.id.removeprefix("pay_")[:12].upper()
        return StartResult(
            PaymentStatus.PENDING,
            provider_ref=reference,
            instructions={
                "bank_details": ctx.settings.bank_transfer_details,
                "reference": reference,
                "amount": money(payment.amount_cents, payment.currency),
            },
        )

    async def capture(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        return PaymentStatus.CAPTURED

    async def void(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        return PaymentStatus.VOIDED

    async def refund(self, ctx: ProviderContext, payment: Payment, amount_cents: int) -> None:
        return None  # recorded by the service; the organizer returns the money by hand

    async def money_in(self, ctx: ProviderContext, payment: Payment) -> bool:
        return False  # nobody to ask: the organizer marks the money received

    def parse_webhook(self, settings: Settings, body: bytes, signature: str | None) -> PspEvent:
        raise NotFound("this processor sends no webhooks", code="processor_unknown")
