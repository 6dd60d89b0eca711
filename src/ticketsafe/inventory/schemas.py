"""Request and response bodies of the inventory endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ticketsafe.infra.fields import Count
from ticketsafe.inventory.models import Ident, SeatIdent


class HoldSeatsRequest(BaseModel):
    kind: Literal["seats"]
    seat_ids: list[SeatIdent] = Field(min_length=1, max_length=50)


class HoldBestRequest(BaseModel):
    kind: Literal["best"]
    section_id: Ident
    category: str = Field(default="", max_length=64)
    quantity: Count = Field(ge=1, le=50)


class HoldGaRequest(BaseModel):
    kind: Literal["ga"]
    area_id: Ident
    quantity: Count = Field(ge=1, le=50)


HoldCreate = Annotated[
    HoldSeatsRequest | HoldBestRequest | HoldGaRequest, Field(discriminator="kind")
]
