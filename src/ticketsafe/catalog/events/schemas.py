"""Event payloads. Money is always an integer amount of minor units (centavos, cents) in
the event's currency; times are time-zone-aware instants plus the IANA zone the event is
shown in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import available_timezones

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ticketsafe.catalog.events.lifecycle import EventStatus
from ticketsafe.catalog.venues.schemas import Category, SectionId
from ticketsafe.infra.fields import Count, Flag, Instant, JsonInteger, Name, StoredInt

Currency = Literal["BRL", "USD", "EUR"]
Locale = Literal["pt-BR", "en"]
DEFAULT_CURRENCY: dict[str, Currency] = {"pt-BR": "BRL", "en": "USD"}
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
MinorUnits = Annotated[int, Field(ge=0, le=100_000_000), JsonInteger]

# How long a buyer's hold lasts before its units return, as an organizer may set it per
# event: the one bound on a hold's TTL. The inventory's layout (what onsale provisions from
# the event) checks these same constants, so no event can be provisioned with a TTL the
# catalog refused, nor refused with one it accepted.
MIN_HOLD_DURATION_S = 60
MAX_HOLD_DURATION_S = 3_600
DEFAULT_HOLD_DURATION_S = 600


class TicketKind(StrEnum):
    FULL = "full"
    HALF = "half"  # meia-entrada: half the price level's amount, for eligible buyers
    COURTESY = "courtesy"


class PriceLevel(BaseModel):
    """One price, applying to every seat of the listed categories and to the GA areas."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ItemId
    name: Name = Field(min_length=1, max_length=100)
    amount_minor: MinorUnits
    seat_categories: list[Category] = Field(default_factory=list)
    ga_areas: list[SectionId] = Field(default_factory=list)


class TicketType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ItemId
    kind: TicketKind
    name: Name = Field(min_length=1, max_length=100)
    eligibility_note: str | None = Field(
        default=None, max_length=1_000, description="Who may buy it (required for half price)."
    )
    quota: Count | None = Field(default=None, description="At most this many sold; None = no cap.")

    def price_for(self, level_amount_minor: int) -> int:
        """The price of this ticket type at a price level (half rounds up to a minor unit)."""
        if self.kind is TicketKind.COURTESY:
            return 0
        if self.kind is TicketKind.HALF:
            return (level_amount_minor + 1) // 2
        return level_amount_minor


class SalesWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    on_sale_at: Instant | None = None
    off_sale_at: Instant | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.on_sale_at and self.off_sale_at and self.off_sale_at <= self.on_sale_at:
            raise ValueError("off_sale_at must be after on_sale_at")
        return self


class WaitingRoomConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: Flag = False
    pre_queue_minutes: Annotated[int, Field(ge=0, le=24 * 60), JsonInteger] = 15
    admission_rate_per_minute: Annotated[int, Field(ge=1, le=1_000_000), JsonInteger] | None = (
        Field(default=None, description="None = adaptive (auto).")
    )
    pow_difficulty: Annotated[int, Field(ge=0, le=28), JsonInteger] = Field(
        default=18, description="Proof-of-work bits to join (18 ≈ 1 s in a browser; 0 = none)."
    )


def _full_price() -> list[TicketType]:
    return [TicketType(id="full", kind=TicketKind.FULL, name="Inteira")]


class EventFields(BaseModel):
    """Everything an organizer sets; validated as a whole (create, and after each patch)."""

    model_config = ConfigDict(extra="forbid")

    venue_id: str = Field(min_length=1, max_length=64)
    name: Name = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    image_urls: list[AnyHttpUrl] = Field(default_factory=list, max_length=20)
    starts_at: Instant
    ends_at: Instant
    timezone: str = "America/Sao_Paulo"
    locale: Locale = "pt-BR"
    currency: Currency | None = Field(default=None, description="Default: BRL for pt-BR.")
    price_levels: list[PriceLevel] = Field(default_factory=list, max_length=200)
    ticket_types: list[TicketType] = Field(default_factory=_full_price, min_length=1, max_length=20)
    sales: SalesWindow = Field(default_factory=SalesWindow)
    per_buyer_limit: Annotated[int, Field(ge=1, le=100), JsonInteger] = 6
    waiting_room: WaitingRoomConfig = Field(default_factory=WaitingRoomConfig)
    hold_duration_s: Annotated[
        int, Field(ge=MIN_HOLD_DURATION_S, le=MAX_HOLD_DURATION_S), JsonInteger
    ] = DEFAULT_HOLD_DURATION_S
    requires_cpf: Flag = False
    buyer_cancellation_hours: Annotated[int, Field(ge=0, le=24 * 365), JsonInteger] | None = Field(
        default=None,
        description="Buyers may cancel paid orders (full refund) until this many hours "
        "before the start; None = no self-service cancellation.",
    )  # fmt: skip

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.currency is None:
            self.currency = DEFAULT_CURRENCY[self.locale]
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        _unique("price level id", [p.id for p in self.price_levels])
        _unique("ticket type id", [t.id for t in self.ticket_types])
        _unique(
            "seat category in price levels",
            [c for p in self.price_levels for c in p.seat_categories],
        )
        _unique("GA area in price levels", [a for p in self.price_levels for a in p.ga_areas])
        for t in self.ticket_types:
            if t.kind is TicketKind.HALF and not t.eligibility_note:
                raise ValueError(f"half-price ticket type {t.id!r} needs an eligibility_note")
        return self


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears more than once")
        seen.add(value)


class EventCreate(EventFields):
    pass


class EventUpdate(BaseModel):
    """PATCH: only the fields sent change; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid")

    venue_id: str | None = None
    name: Name | None = None
    description: str | None = None
    image_urls: list[AnyHttpUrl] | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    timezone: str | None = None
    locale: Locale | None = None
    currency: Currency | None = None
    price_levels: list[PriceLevel] | None = None
    ticket_types: list[TicketType] | None = None
    sales: SalesWindow | None = None
    per_buyer_limit: StoredInt | None = None
    waiting_room: WaitingRoomConfig | None = None
    hold_duration_s: StoredInt | None = None
    requires_cpf: Flag | None = None
    buyer_cancellation_hours: StoredInt | None = None


# Fields still editable once an event is published (they change no sale already made).
EDITABLE_AFTER_DRAFT = frozenset({"description", "image_urls"})
# ... and, while the sale has not started (published, before `on_sale_at`), the sales
# window: the waiting room and the inventory follow it (see `event_service.update_event`).
EDITABLE_BEFORE_SALE = frozenset({"sales"})


class Event(EventFields):
    """An event as stored and answered."""

    model_config = ConfigDict(extra="ignore")

    id: str
    org_id: str
    status: EventStatus
    currency: Currency | None = None
    venue_name: str
    city: str
    version: int = Field(description="Bumped on every change (optimistic concurrency).")
    created_at: datetime
    updated_at: datetime


class EventPage(BaseModel):
    items: list[Event]
    next_cursor: str | None = Field(description="Opaque; pass as `cursor` for the next page.")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EventStatus
    reason: str | None = Field(default=None, max_length=500)


_ZONES = frozenset(available_timezones())
