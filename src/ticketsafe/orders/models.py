"""Orders and their state machine.

    pending_payment ──► paid ──► partially_refunded ──► refunded
          │               ├──────────────────────────► refunded
          │               └──► cancelled (refunded in full by the organizer/buyer)
          ├──► expired   (payment deadline passed: sale released, payment voided)
          └──► cancelled (payment failed or buyer gave up: sale released)

The sale (seats/GA units) is committed in inventory when the order is created, before any
money is captured, so a captured payment always has its tickets. Leaving
`pending_payment` without `paid` always releases the sale. Cancelled, expired and
refunded are final (`NO_SALE`): money captured for such an order afterwards (a PIX paid
after the buyer cancelled) is refunded, never turned back into a sale (`late_money`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from ticketsafe.infra.errors import Conflict
from ticketsafe.payments.models import PaymentMethod


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


_O = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _O.PENDING_PAYMENT: frozenset({_O.PAID, _O.EXPIRED, _O.CANCELLED}),
    _O.PAID: frozenset({_O.PARTIALLY_REFUNDED, _O.REFUNDED, _O.CANCELLED}),
    _O.PARTIALLY_REFUNDED: frozenset({_O.PARTIALLY_REFUNDED, _O.REFUNDED}),
    _O.REFUNDED: frozenset(),
    _O.CANCELLED: frozenset(),
    _O.EXPIRED: frozenset(),
}

# Orders that hold no live sale and never will again: money captured for one is refunded.
NO_SALE = frozenset({_O.CANCELLED, _O.EXPIRED, _O.REFUNDED})
# Of those, the ones that never were paid: any money captured for them arrived late.
ENDED_UNPAID = frozenset({_O.CANCELLED, _O.EXPIRED})


class InvalidOrderTransition(Conflict):
    code = "order_state_conflict"
    title = "The order is not in a state that allows this"


def entry(
    actor: str, action: str, reason: str | None, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One audit entry of an order's `history` (the shape of `infra.audit` entries; the
    subject is the order itself). MongoDB keeps milliseconds: so does the entry."""
    now = datetime.now(UTC)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    return {"at": at, "actor": actor, "action": action, "reason": reason, "data": data or {}}


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidOrderTransition(
            f"order is {current.value}; it cannot become {target.value}",
            status_now=current.value,
        )


class LineStatus(StrEnum):
    VALID = "valid"
    REFUNDED = "refunded"


class OrderLine(BaseModel):
    line_id: str
    seat_id: str | None = None  # reserved seat, or
    area_id: str | None = None  # one GA unit of this area
    price_level_id: str
    ticket_type_id: str
    ticket_kind: str  # full | half | courtesy
    unit_cents: int = Field(ge=0)
    holder_sealed: dict[str, Any] | None = None  # holder name (+ CPF), sealed (PII vault)
    status: LineStatus = LineStatus.VALID


class Order(BaseModel):
    id: str
    event_id: str
    org_id: str
    buyer_id: str
    hold_id: str
    status: OrderStatus
    currency: str
    total_cents: int = Field(ge=0)
    refunded_cents: int = 0
    lines: list[OrderLine]
    payment_method: PaymentMethod
    payment_id: str | None = None
    buyer_sealed: dict[str, Any] | None = None  # buyer name/e-mail/phone, sealed (PII vault)
    buyer_email_index: str | None = None  # keyed blind index: find orders by e-mail
    locale: str = "pt-BR"
    payment_deadline: datetime
    sale_committed: bool = False
    # The order's audit trail, kept in the order: each entry is written by the very write
    # that makes the change it records (`entry`), so none is lost or written apart.
    history: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    version: int = 0

    def valid_lines(self) -> list[OrderLine]:
        return [line for line in self.lines if line.status is LineStatus.VALID]
