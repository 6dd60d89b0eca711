"""The public catalogue: listing/search with keyset pagination and single public events,
both served from the Redis cache when possible (see `listing_cache`)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson

from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.events import listing_cache
from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.events.lifecycle import PUBLIC_STATUSES
from ticketsafe.catalog.events.repository import PublicQuery
from ticketsafe.catalog.events.schemas import EventPage
from ticketsafe.infra.errors import BadRequest
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient

MAX_PAGE = 100


def encode_cursor(starts_at: datetime, event_id: str) -> str:
    raw = orjson.dumps([starts_at.isoformat(), event_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, event_id = orjson.loads(raw)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not isinstance(event_id, str):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequest("cursor is not one this API handed out", code="invalid_cursor") from None
    return when, event_id


async def search_page(
    db: Database, redis: RedisClient, query: PublicQuery, cursor: str | None, limit: int
) -> bytes:
    """One page of listed events as JSON (`EventPage`), cached until any listed event changes."""
    after = decode_cursor(cursor) if cursor else None
    limit = max(1, min(limit, MAX_PAGE))
    fingerprint = orjson.dumps(
        [
            query.text, query.city, query.venue_id,
            query.starts_from.isoformat() if query.starts_from else None,
            query.starts_until.isoformat() if query.starts_until else None,
            cursor, limit,
        ]
    ).decode()  # fmt: skip

    async def build() -> bytes:
        events = await event_repository.search_listed(db, query, after=after, limit=limit + 1)
        more = len(events) > limit
        events = events[:limit]
        next_cursor = encode_cursor(events[-1].starts_at, events[-1].id) if more else None
        return EventPage(items=events, next_cursor=next_cursor).model_dump_json().encode()

    key = await listing_cache.listing_key(redis, fingerprint)
    return await listing_cache.cached(redis, key, listing_cache.LISTING_TTL_S, build)


async def public_event(db: Database, redis: RedisClient, event_id: str) -> bytes:
    """A published-or-later event as JSON; drafts and unknown ids are both 404."""

    async def build() -> bytes:
        event = await event_repository.find_event(db, event_id)
        if event is None or event.status not in PUBLIC_STATUSES:
            raise EventNotFound(f"no event {event_id}")
        return event.model_dump_json().encode()

    key = await listing_cache.event_key(redis, event_id)
    return await listing_cache.cached(redis, key, listing_cache.EVENT_TTL_S, build)
