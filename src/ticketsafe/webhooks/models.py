from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, HttpUrl

ORDER_EVENTS = ("order.created", "order.paid", "order.refunded", "order.cancelled")
EventType = str  # dotted name, e.g. "order.paid"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last retry


class SubscriptionCreate(BaseModel):
    url: HttpUrl
    events: list[str] = Field(min_length=1, max_length=50)
    description: str = Field(default="", max_length=200)


class Subscription(BaseModel):
    id: str
    org_id: str
    url: str
    events: list[str]
    description: str
    active: bool = True
    created_at: datetime


class SubscriptionCreated(Subscription):
    secret: str  # shown once, at creation: the organizer verifies signatures with it


class Attempt(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class Delivery(BaseModel):
    id: str
    subscription_id: str
    org_id: str
    event_type: str
    payload: dict[str, object]
    status: DeliveryStatus
    attempts: list[Attempt] = Field(default_factory=list)
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None = Field(
        description="Opaque; pass as `cursor` for the next page (null: this is the last)."
    )
