"""What every payment processor (PSP) implements, and what it is given.

A payment records its processor (who moves the money: `sandbox`, `manual`, …) and its
method (how the buyer pays: card, PIX, transfer, free). A processor starts charges,
moves them (capture, void, refund), says whether it holds a payment's money (asked
directly: its webhook can be lost) and verifies and parses its own webhooks. Card
payments are authorised only at start: capture happens after our sale commit, so we
never charge for a ticket we could not deliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import httpx

from ticketsafe.infra.errors import BusinessRuleViolation
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings
from ticketsafe.payments.models import CardSummary, Method, Payment, PaymentMethod, PaymentStatus


@dataclass(frozen=True)
class ProviderContext:
    db: Database
    redis: RedisClient  # the webhook replay guard
    jobs: JobBuffer
    settings: Settings
    http: httpx.AsyncClient  # how processors reach their PSP (`infra.outbound_http`)


@dataclass(frozen=True)
class StartResult:
    status: PaymentStatus
    provider_ref: str | None = None
    instructions: dict[str, str] | None = None
    card: CardSummary | None = None
    test_mode: bool = False


@dataclass(frozen=True)
class ChargeFacts:
    """What a webhook says of the charge: enough to record a payment we never wrote."""

    order_id: str  # from the charge's metadata, as we gave it to the PSP
    method: Method
    amount_cents: int
    currency: str
    test_mode: bool


@dataclass(frozen=True)
class PspEvent:
    """One verified webhook of a processor, in our terms."""

    id: str  # the PSP's event id: applied once (`payments.webhooks.remember_event`)
    type: str
    target: PaymentStatus | None  # where it moves our payment; None: nothing to do
    charge_id: str  # the PSP's id of the charge (our `provider_ref`)
    reference: str | None  # our payment id, as we gave it to the PSP
    charge: ChargeFacts | None = None


class Processor(Protocol):
    name: ClassVar[str]
    # The checkout options (public API values) it serves, and the method each one is.
    options: ClassVar[dict[PaymentMethod, Method]]

    def enabled(self, settings: Settings) -> bool: ...

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

    def parse_webhook(self, settings: Settings, body: bytes, signature: str | None) -> PspEvent:
        """Verify (raise `WebhookSignatureInvalid`) and read one webhook."""
        ...


class CardTokenRequired(BusinessRuleViolation):
    code = "card_token_required"


def money(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"
