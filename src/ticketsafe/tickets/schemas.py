"""Request and response models of the tickets API."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import BaseModel, Field

from ticketsafe.identity.schemas import Email
from ticketsafe.tickets import codes
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import LiveCredentials
from ticketsafe.tickets.transfers import TransferOffer


class TicketOut(BaseModel):
    id: str
    event_id: str
    order_id: str
    place: str
    ticket_type_id: str
    version: int
    status: str
    used_at: datetime | None
    used_gate: str | None

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(
            id=t.id, event_id=t.event_id, order_id=t.order_id, place=t.place,
            ticket_type_id=t.ticket_type_id, version=t.version, status=t.status.value,
            used_at=t.used_at, used_gate=t.used_gate,
        )  # fmt: skip


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="pass as `after` for the next page")

    @classmethod
    def of(cls, tickets: list[Ticket], limit: int) -> TicketPage:
        cursor = tickets[-1].id if len(tickets) == limit else None
        return cls(items=[TicketOut.of(t) for t in tickets], next_cursor=cursor)


class LiveCodeOut(BaseModel):
    """For the holder's app only: it shows `code` + `~` + the RFC 6238 value of
    `secret_b32` (SHA-1, `step_s`-second steps, `digits` digits) as the QR."""

    ticket: TicketOut
    code: str
    secret_b32: str
    step_s: int = codes.STEP_S
    digits: int = codes.DIGITS
    live_code: str = Field(description="the QR's content right now")

    @classmethod
    def of(cls, live: LiveCredentials) -> LiveCodeOut:
        return cls(
            ticket=TicketOut.of(live.ticket), code=live.code,
            secret_b32=base64.b32encode(live.secret).decode().rstrip("="),
            live_code=live.live_code,
        )  # fmt: skip


class CodePolicyIn(BaseModel):
    static_codes: bool = Field(description="whether the printable (static) code admits")
    transfer_limit: int = Field(ge=0, le=10, description="transfers allowed per ticket")


class CodePolicyOut(CodePolicyIn):
    event_id: str
    public_key_b64: str = Field(description="the event's Ed25519 public key (raw, base64url)")


class TransferIn(BaseModel):
    email: Email = Field(description="the receiver's e-mail (their TicketSafe account's)")


class TransferOut(BaseModel):
    id: str
    ticket_id: str
    status: str
    expires_at: datetime

    @classmethod
    def of(cls, offer: TransferOffer) -> TransferOut:
        return cls(
            id=offer.id, ticket_id=offer.ticket_id, status=offer.status,
            expires_at=offer.expires_at,
        )  # fmt: skip
