"""Venue payloads: the JSON import/export shape and the summaries the API answers with.

A venue's layout is a list of sections, each either *reserved* (rows of labelled seats
with x/y drawing positions in the venue's plane, one unit ≈ one seat width) or a
*general-admission* area with a capacity. Labels appear in seat ids
(`<section>:r-<row>:s-<seat>`), so they may not contain `:` or spaces. Field-level rules
live here (pydantic → 422 `validation_failed`); rules across seats (duplicates, overlaps,
empty rows) live in `venue_validation` (→ 422 `invalid_layout`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ticketsafe.infra import fields
from ticketsafe.infra.fields import Flag, JsonInteger, Name

SectionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Label = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.#+-]{1,16}$")]
Category = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]
Coordinate = Annotated[fields.Coordinate, Field(ge=-1_000_000, le=1_000_000)]


class Accessibility(StrEnum):
    WHEELCHAIR = "wheelchair"
    COMPANION = "companion"
    REDUCED_MOBILITY = "reduced_mobility"
    HEARING = "hearing"
    VISUAL = "visual"


class SeatIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    x: Coordinate
    y: Coordinate
    category: Category = "standard"
    accessibility: tuple[Accessibility, ...] = ()
    blocked: Flag = Field(default=False, description="Never sold (camera, pillar, …).")


class RowIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    seats: list[SeatIn] = Field(description="In order along the row (adjacency).")


def _kind_required(schema: dict[str, Any]) -> None:
    """In JSON `kind` is required (it picks the section type); code may leave it out."""
    schema["required"] = ["kind", *schema.get("required", [])]
    schema["properties"]["kind"].pop("default", None)


class ReservedSectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_kind_required)

    kind: Literal["reserved"] = "reserved"
    id: SectionId
    name: Name = Field(min_length=1, max_length=100)
    rows: list[RowIn]


class GeneralAdmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["ga"]
    id: SectionId
    name: Name = Field(min_length=1, max_length=100)
    capacity: Annotated[int, Field(ge=1, le=1_000_000), JsonInteger]


SectionIn = Annotated[ReservedSectionIn | GeneralAdmissionIn, Field(discriminator="kind")]


class VenueLayout(BaseModel):
    """The seat map alone: what `PUT /venues/{id}/layout` replaces."""

    model_config = ConfigDict(extra="forbid")

    sections: list[SectionIn] = Field(min_length=1, max_length=2_000)


class VenueDetails(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(min_length=1, max_length=200)
    city: Name = Field(min_length=1, max_length=100)
    address: Name = Field(default="", max_length=300)
    timezone: str = Field(default="America/Sao_Paulo", description="IANA time zone.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value


class VenueDocument(VenueDetails, VenueLayout):
    """Import and export shape (JSON): details plus the whole layout."""


class SectionSummary(BaseModel):
    id: str
    name: str
    kind: Literal["reserved", "ga"]
    rows: int = 0
    seats: int = 0
    capacity: int = Field(description="Seats of a reserved section, or the GA capacity.")
    categories: list[str] = Field(default_factory=list)


class Venue(BaseModel):
    """A venue as stored and as answered (the layout itself is exported separately)."""

    id: str
    org_id: str
    name: str
    city: str
    address: str
    timezone: str
    layout_version: int
    layout_id: str = Field(exclude=True)
    seat_count: int
    ga_capacity: int
    categories: list[str]
    sections: list[SectionSummary]
    created_at: datetime
    updated_at: datetime


class VenuePage(BaseModel):
    items: list[Venue]
    next_cursor: str | None = Field(
        default=None, description="Opaque; pass as `cursor` for the next page (null: the last)."
    )


_ZONES = frozenset(available_timezones())
