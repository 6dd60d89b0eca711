"""The seat map buyers draw: every seat with its position, category, price level and
accessibility, plus GA areas and the price levels themselves. Availability is not here
(inventory serves it live); this part changes only while the event is a draft, so the
public answer is cached like the listing (see `listing_cache`)."""

from __future__ import annotations

import orjson
from pydantic import BaseModel

from ticketsafe.catalog.events import listing_cache
from ticketsafe.catalog.events import service as event_service
from ticketsafe.catalog.events.lifecycle import PUBLIC_STATUSES
from ticketsafe.catalog.events.schemas import PriceLevel
from ticketsafe.catalog.read_models import event_layout, get_sales_view
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient

SEAT_MAP_TTL_S = 600


class SeatMapSeat(BaseModel):
    seat_id: str
    section_id: str
    row_label: str
    seat_label: str
    order: int
    x: float
    y: float
    category: str
    price_level_id: str | None
    accessibility: list[str]
    blocked: bool


class SeatMapArea(BaseModel):
    area_id: str
    name: str
    capacity: int
    price_level_id: str | None


class SeatMap(BaseModel):
    """Documentation of the answer's shape (it is serialised straight from the read model)."""

    event_id: str
    venue_id: str
    layout_version: int
    currency: str
    price_levels: list[PriceLevel]
    seats: list[SeatMapSeat]
    ga_areas: list[SeatMapArea]


async def _build(db: Database, event_id: str) -> bytes:
    view = await get_sales_view(db, event_id)
    layout = await event_layout(db, event_id)
    return orjson.dumps(
        {
            "event_id": layout.event_id,
            "venue_id": layout.venue_id,
            "layout_version": layout.layout_version,
            "currency": view.currency,
            "price_levels": [p.model_dump() for p in view.price_levels],
            "seats": layout.seats,
            "ga_areas": layout.ga_areas,
        }
    )


async def seat_map(
    db: Database, redis: RedisClient, principal: Principal | None, event_id: str
) -> bytes:
    """Public once published (cached); a draft's only for its organizers (not cached)."""
    event = await event_service.get_event(db, principal, event_id)
    if event.status not in PUBLIC_STATUSES:
        return await _build(db, event_id)
    key = await listing_cache.seat_map_key(redis, event_id)
    return await listing_cache.cached(redis, key, SEAT_MAP_TTL_S, lambda: _build(db, event_id))
