"""Tickets and their state machine.

    valid ──► used        (admitted at a gate, once)
      ├────► revoked     (the order line was refunded, or the order cancelled)
      └────► valid v+1   (transferred: a new version and secret; older codes are dead)

A ticket is one paid unit of an order line; its id is derived from (order, line), so
issuing an order twice can only find the same ids (the primary key refuses the second).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class TicketStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


def ticket_id_for(order_id: str, line_id: str) -> str:
    digest = hashlib.sha256(f"{order_id}/{line_id}".encode()).digest()[:12]
    return "tkt_" + base64.urlsafe_b64encode(digest).decode()


class Ticket(BaseModel):
    id: str
    event_id: str
    org_id: str
    order_id: str
    line_id: str
    holder_id: str
    place: str  # "s:<seat id>" | "a:<area id>"
    ticket_type_id: str
    version: int = 1
    status: TicketStatus = TicketStatus.VALID
    transfers: int = 0
    used_at: datetime | None = None
    used_gate: str | None = None
    used_device: str | None = None
    revoked_at: datetime | None = None
    created_at: datetime

    @property
    def admits(self) -> bool:
        return self.status is TicketStatus.VALID and self.used_at is None
