"""Payment records and their state machine.

A payment belongs to one order. Its status only moves forward along the edges below;
anything else (a late "authorized" after "captured", a webhook arriving out of order) is
refused by `advance`, which callers treat as "already past that point" — that is how
out-of-order webhooks are made harmless.

    pending ──► requires_action ──► authorized ──► captured ──► partially_refunded ──► refunded
       │              │                 │              └───────────────────────────────► refunded
       ├──► authorized / captured       └──► voided ──► captured (a late PIX: refunded)
       └──► failed ◄── requires_action
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


# What the buyer picks at checkout (the public API's values): a method through a
# processor (`payments.processors.route`). A comment, not a docstring: that would change
# the OpenAPI document the web client is generated from.
class PaymentMethod(StrEnum):
    FREE = "free"
    BANK_TRANSFER = "bank_transfer"
    PIX = "pix"
    CARD_SANDBOX = "card_sandbox"


class Method(StrEnum):
    """How a payment is paid, whoever processes it."""

    FREE = "free"
    CARD = "card"
    PIX = "pix"
    TRANSFER = "transfer"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


_S = PaymentStatus
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    _S.PENDING: frozenset({_S.REQUIRES_ACTION, _S.AUTHORIZED, _S.CAPTURED, _S.FAILED, _S.VOIDED}),
    _S.REQUIRES_ACTION: frozenset({_S.AUTHORIZED, _S.CAPTURED, _S.FAILED, _S.VOIDED}),
    _S.AUTHORIZED: frozenset({_S.CAPTURED, _S.VOIDED, _S.FAILED}),
    _S.CAPTURED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.REFUNDED: frozenset(),
    # Money that arrives after we gave up (a PIX paid after its order expired) is a fact:
    # it is recorded, so that orders refund it (`orders.late_money`).
    _S.VOIDED: frozenset({_S.CAPTURED}),
    _S.FAILED: frozenset(),
}


class InvalidPaymentTransition(ValueError):
    def __init__(self, current: PaymentStatus, target: PaymentStatus) -> None:
        super().__init__(f"payment cannot go from {current} to {target}")
        self.current = current
        self.target = target


def advance(current: PaymentStatus, target: PaymentStatus) -> PaymentStatus:
    if target not in TRANSITIONS[current]:
        raise InvalidPaymentTransition(current, target)
    return target


class CardSummary(BaseModel):
    """All we ever keep of a card: the PSP's token, the brand and the last four digits."""

    token: str
    brand: str
    last4: str = Field(pattern=r"^\d{4}$")


class Payment(BaseModel):
    id: str
    order_id: str
    processor: str  # who moves the money (`payments.processors.PROCESSORS`)
    method: Method
    status: PaymentStatus
    amount_cents: int = Field(ge=0)
    currency: str
    captured_cents: int = 0
    refunded_cents: int = 0
    provider_ref: str | None = None  # the PSP's charge id / PIX txid
    payer_id: str | None = None  # who pays: the only one who may complete a card challenge
    card: CardSummary | None = None
    instructions: dict[str, str] = Field(default_factory=dict)
    test_mode: bool = False
    created_at: datetime
    updated_at: datetime
    version: int = 0  # optimistic concurrency: every write is guarded by it
