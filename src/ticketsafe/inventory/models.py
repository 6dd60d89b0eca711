"""The inventory's own typed input and domain models.

The catalog owns venues and events; it hands the inventory an `InventoryLayout` (what can
be sold, where it sits, what is blocked) through `provision_event`. Everything else here
is what the engine answers: holds and availability.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ticketsafe.catalog.events.schemas import (
    DEFAULT_HOLD_DURATION_S,
    MAX_HOLD_DURATION_S,
    MIN_HOLD_DURATION_S,
)
from ticketsafe.infra.errors import IdempotencyKeyReused

# Ids travel into Redis keys, Lua and MongoDB `_id`s: keep them to a safe alphabet.
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


# Seat ids come from the catalog (`<section>:r-<row>:s-<seat>`), so they may hold ':'; the
# `ga:` prefix stays reserved for GA units, which the engine tells apart by it.
def _not_ga(value: str) -> str:
    if value.startswith("ga:"):
        raise ValueError("seat ids must not start with 'ga:'")
    return value


SeatIdent = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$"),
    AfterValidator(_not_ga),
]


class ReservedSeat(BaseModel):
    model_config = ConfigDict(frozen=True)

    seat_id: SeatIdent  # stable across re-provisioning: sales refer to it
    section_id: Ident
    row: str = Field(min_length=1, max_length=16)
    order: int = Field(ge=0, description="Position within the row; adjacent seats differ by 1.")
    x: float = 0.0
    y: float = 0.0
    category: str = Field(default="", max_length=64, description="Price level.")
    blocked: bool = False


class GaArea(BaseModel):
    model_config = ConfigDict(frozen=True)

    area_id: Ident
    capacity: int = Field(ge=0, le=1_000_000)


class InventoryLayout(BaseModel):
    """What the catalog provisions for one event."""

    model_config = ConfigDict(frozen=True)

    event_id: Ident
    seats: list[ReservedSeat] = Field(default_factory=list)
    areas: list[GaArea] = Field(default_factory=list)
    hold_duration_s: int = Field(
        default=DEFAULT_HOLD_DURATION_S, ge=MIN_HOLD_DURATION_S, le=MAX_HOLD_DURATION_S
    )
    per_buyer_limit: int = Field(default=10, ge=0, description="0 = no limit.")
    focus_x: float = Field(default=0.0, description="Stage centre: best seats are nearest.")
    focus_y: float = 0.0
    sales_open_ms: int = Field(
        default=0,
        ge=0,
        description="Holds are refused before this instant (epoch ms, Redis's clock): "
        "inventory is provisioned ahead of the sale, closed until it starts. 0 = open.",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> InventoryLayout:
        seat_ids = [s.seat_id for s in self.seats]
        if len(seat_ids) != len(set(seat_ids)):
            raise ValueError("seat ids must be unique")
        area_ids = [a.area_id for a in self.areas]
        if len(area_ids) != len(set(area_ids)):
            raise ValueError("area ids must be unique")
        return self


class HoldKind(StrEnum):
    SEATS = "seats"
    BEST = "best"
    GA = "ga"


class Hold(BaseModel):
    hold_id: str
    event_id: str
    buyer_id: str
    kind: HoldKind
    seats: list[str]
    ga: dict[str, int]
    expires_at_ms: int
    extended: bool = False
    committing: bool = False


@dataclass
class HoldOnce:
    """An Idempotency-Key on a hold, kept by the hold's own atomic call: `record_id`
    names the record (a hash of the caller and the key), `fingerprint` the request. The
    first successful answer is kept for `ttl_ms`; a retry — concurrent or not — gets it
    back (`replayed`), the same key on another request is refused. A refused hold
    changed nothing, so its retry is simply tried again."""

    record_id: str
    fingerprint: str
    ttl_ms: int = 24 * 3600 * 1000
    replayed: bool = False

    def first_answer(self, raw: Any) -> tuple[str, int, list[str]]:
        """(hold id, expiry ms, units) of the kept answer; refuses another request."""
        first = orjson.loads(raw)
        if first["f"] != self.fingerprint:
            raise IdempotencyKeyReused()
        self.replayed = True
        return str(first["h"]), int(first["e"]), [str(u) for u in first["u"]]


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"
    BLOCKED = "blocked"


class GaAvailability(BaseModel):
    capacity: int
    available: int


class Availability(BaseModel):
    event_id: str
    version: int
    seats: dict[str, UnitStatus]
    ga: dict[str, GaAvailability]


@dataclass(frozen=True)
class SupplyCounts:
    """What is left of an event: units available now, and live holds (whose units come
    back if they expire or are released)."""

    available: int
    holds: int
    open: bool = True  # False before the sale starts (`InventoryLayout.sales_open_ms`)


class Sale(BaseModel):
    """What `commit_sale` recorded in MongoDB (the system of record)."""

    hold_id: str
    order_id: str
    buyer_id: str
    event_id: str
    seats: list[str]
    ga: dict[str, int]


class SaleItems(BaseModel):
    """Units of an order to hand back (refund): seats by id, GA as units per area."""

    seats: list[str] = Field(default_factory=list)
    ga: dict[str, int] = Field(default_factory=dict)
