"""Request and response models of the orders API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketsafe.identity.schemas import Email, Phone
from ticketsafe.infra.fields import Flag, Money, Name
from ticketsafe.infra.pagination import Page
from ticketsafe.orders.models import LineStatus, Order, OrderStatus
from ticketsafe.payments.models import Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.processors import option_of


def _one_unit_schema(schema: dict[str, Any]) -> None:
    """`seat_id` xor `area_id`, said in the schema as the validator below says it."""
    schema["oneOf"] = [
        {"required": [given], "properties": {given: {"type": "string"}, other: {"type": "null"}}}
        for given, other in (("seat_id", "area_id"), ("area_id", "seat_id"))
    ]


class TicketChoice(BaseModel):
    """One ticket of the hold: which seat (or GA area), which type, who attends."""

    model_config = ConfigDict(json_schema_extra=_one_unit_schema)

    seat_id: str | None = Field(default=None, max_length=128)
    area_id: str | None = Field(default=None, max_length=64)
    ticket_type_id: str = Field(min_length=1, max_length=64)
    holder_name: Name = Field(min_length=1, max_length=120)
    holder_cpf: str | None = Field(default=None, max_length=20)
    half_price_eligible: Flag = Field(
        default=False, description="The buyer confirms the holder may use meia-entrada."
    )

    @model_validator(mode="after")
    def _one_unit(self) -> TicketChoice:
        if (self.seat_id is None) == (self.area_id is None):
            raise ValueError("give exactly one of seat_id or area_id")
        return self


class BuyerDetails(BaseModel):
    name: Name = Field(min_length=1, max_length=120)
    email: Email
    phone: Phone | None = None


class CheckoutRequest(BaseModel):
    hold_id: str = Field(min_length=1, max_length=128)
    payment_method: PaymentMethod
    card_token: str | None = Field(default=None, max_length=64)
    buyer: BuyerDetails
    tickets: list[TicketChoice] = Field(min_length=1, max_length=50)
    expected_total_cents: Money = Field(description="The total the buyer was shown.")
    locale: Literal["pt-BR", "en"] = "pt-BR"


class PaymentOut(BaseModel):
    id: str
    method: PaymentMethod
    status: PaymentStatus
    amount_cents: int
    instructions: dict[str, str]
    card_brand: str | None
    card_last4: str | None
    test_mode: bool

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        return cls(
            id=p.id, method=option_of(p), status=p.status, amount_cents=p.amount_cents,
            instructions=p.instructions, card_brand=p.card.brand if p.card else None,
            card_last4=p.card.last4 if p.card else None, test_mode=p.test_mode,
        )  # fmt: skip


class LineOut(BaseModel):
    line_id: str
    seat_id: str | None
    area_id: str | None
    ticket_type_id: str
    ticket_kind: str
    unit_cents: int
    status: LineStatus


class OrderOut(BaseModel):
    id: str
    event_id: str
    status: OrderStatus
    currency: str
    total_cents: int
    refunded_cents: int
    payment_deadline: datetime
    lines: list[LineOut]
    payment: PaymentOut | None = None
    created_at: datetime

    @classmethod
    def of(cls, order: Order, payment: Payment | None = None) -> OrderOut:
        return cls(
            id=order.id, event_id=order.event_id, status=order.status, currency=order.currency,
            total_cents=order.total_cents, refunded_cents=order.refunded_cents,
            payment_deadline=order.payment_deadline,
            lines=[LineOut.model_validate(line.model_dump()) for line in order.lines],
            payment=PaymentOut.of(payment) if payment else None, created_at=order.created_at,
        )  # fmt: skip


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = Field(
        description="Opaque; pass as `cursor` for the next page (null: this is the last)."
    )

    @classmethod
    def of(cls, page: Page[Order]) -> OrderPage:
        return cls(items=[OrderOut.of(o) for o in page.items], next_cursor=page.next_cursor)


class RefundRequest(BaseModel):
    line_ids: list[str] | None = Field(
        default=None, description="Lines to refund; omit to refund the whole order."
    )
    reason: str = Field(min_length=1, max_length=500)


class CancelRequest(BaseModel):
    reason: str = Field(default="cancelled by the buyer", max_length=500)
