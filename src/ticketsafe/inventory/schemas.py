"""Request and response bodies of the inventory endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ticketsafe.infra.fields import JsonInteger
from ticketsafe.inventory.models import Ident, SeatIdent

Quantity = Annotated[int, Field(ge=1, le=50), JsonInteger]


class HoldSeatsRequest(BaseModel):
    kind: Literal["seats"]
    seat_ids: list[SeatIdent] = Field(min_length=1, max_length=50)


class HoldBestRequest(BaseModel):
    kind: Literal["best"]
    section_id: Ident
    category: str = Field(default="", max_length=64)
    quantity: Quantity


class HoldGaRequest(BaseModel):
    kind: Literal["ga"]
    area_id: Ident
    quantity: Quantity


HoldCreate = Annotated[
    HoldSeatsRequest | HoldBestRequest | HoldGaRequest, Field(discriminator="kind")
]
