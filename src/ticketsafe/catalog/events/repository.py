"""Event storage: one document per event, written with guarded `update_one`s (status or
version in the filter), so concurrent changes never silently overwrite each other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from ticketsafe.catalog.events.lifecycle import LISTED_STATUSES, EventStatus
from ticketsafe.catalog.events.schemas import Event
from ticketsafe.infra.migrations import Migration, ensure_collection
from ticketsafe.infra.mongodb import Database, Document
from ticketsafe.infra.pagination import Page, keyset_page

EVENTS = "events"


@dataclass(frozen=True)
class PublicQuery:
    text: str | None = None
    city: str | None = None
    venue_id: str | None = None
    starts_from: datetime | None = None
    starts_until: datetime | None = None


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _document(event: Event) -> Document:
    doc = event.model_dump(mode="python", exclude={"id"})
    doc["_id"] = event.id
    doc["image_urls"] = [str(u) for u in event.image_urls]
    doc["city_key"] = fold(event.city)
    doc["search_text"] = fold(f"{event.name} {event.venue_name} {event.city}")
    return doc


def _event(doc: Document) -> Event:
    doc = dict(doc)
    doc["id"] = doc.pop("_id")
    return Event.model_validate(doc)


async def insert_event(db: Database, event: Event) -> None:
    await db[EVENTS].insert_one(_document(event))


async def find_event(db: Database, event_id: str) -> Event | None:
    doc = await db[EVENTS].find_one({"_id": event_id})
    return _event(doc) if doc is not None else None


async def list_org_events(
    db: Database, org_id: str, *, cursor: str | None, limit: int
) -> Page[Event]:
    """One page of the organization's events by start, earliest first."""
    return await keyset_page(
        db[EVENTS], {"org_id": org_id}, cursor=cursor, limit=limit, model=_event,
        field="starts_at", descending=False,
    )  # fmt: skip


async def replace_event(db: Database, event: Event, *, expected_version: int) -> bool:
    """Store `event` (whose version is already bumped) unless it changed meanwhile."""
    doc = _document(event)
    doc.pop("_id")
    result = await db[EVENTS].update_one(
        {"_id": event.id, "version": expected_version}, {"$set": doc}
    )
    return result.modified_count == 1


async def move_status(
    db: Database,
    event_id: str,
    *,
    current: EventStatus,
    target: EventStatus,
    now: datetime,
    on_sale_at: datetime | None = None,
) -> bool:
    """The status change itself, only if the status is still `current` (no lost races);
    `on_sale_at` moves the start of sales in the same write (a sale started by hand)."""
    changes: dict[str, Any] = {"status": target.value, "updated_at": now}
    if on_sale_at is not None:
        changes["sales.on_sale_at"] = on_sale_at
    result = await db[EVENTS].update_one(
        {"_id": event_id, "status": current.value},
        {"$set": changes, "$inc": {"version": 1}},
    )
    return result.modified_count == 1


async def venue_has_events_past_draft(db: Database, venue_id: str) -> bool:
    doc = await db[EVENTS].find_one(
        {"venue_id": venue_id, "status": {"$ne": EventStatus.DRAFT.value}}, {"_id": 1}
    )
    return doc is not None


async def due_to_open(db: Database, now: datetime, *, limit: int = 200) -> list[str]:
    """Published events whose on-sale time has come."""
    flt = {"status": EventStatus.PUBLISHED.value, "sales.on_sale_at": {"$lte": now}}
    return [d["_id"] async for d in db[EVENTS].find(flt, {"_id": 1}).limit(limit)]


async def due_to_end(db: Database, now: datetime, *, limit: int = 200) -> list[str]:
    """Events on sale or sold out whose end time has passed."""
    flt = {
        "status": {"$in": [EventStatus.ON_SALE.value, EventStatus.SOLD_OUT.value]},
        "ends_at": {"$lte": now},
    }
    return [d["_id"] async for d in db[EVENTS].find(flt, {"_id": 1}).limit(limit)]


async def search_listed(
    db: Database, query: PublicQuery, *, after: tuple[datetime, str] | None, limit: int
) -> list[Event]:
    """Listed (published, on sale, sold out) events by start time, then id (keyset)."""
    flt: dict[str, Any] = {"status": {"$in": [s.value for s in LISTED_STATUSES]}}
    if query.text:
        flt["search_text"] = {"$regex": re.escape(fold(query.text))}
    if query.city:
        flt["city_key"] = fold(query.city)
    if query.venue_id:
        flt["venue_id"] = query.venue_id
    starts: dict[str, datetime] = {}
    if query.starts_from:
        starts["$gte"] = query.starts_from
    if query.starts_until:
        starts["$lt"] = query.starts_until
    if starts:
        flt["starts_at"] = starts
    if after is not None:
        at, last_id = after
        flt["$or"] = [{"starts_at": {"$gt": at}}, {"starts_at": at, "_id": {"$gt": last_id}}]
    cursor = db[EVENTS].find(flt).sort([("starts_at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
    return [_event(doc) async for doc in cursor]


async def _create_collection(db: Database) -> None:
    await ensure_collection(db, EVENTS)
    await db[EVENTS].create_index(
        [("status", ASCENDING), ("starts_at", ASCENDING), ("_id", ASCENDING)],
        name="status_starts",
    )
    await db[EVENTS].create_index(
        [("org_id", ASCENDING), ("starts_at", ASCENDING)], name="org_starts"
    )
    await db[EVENTS].create_index(
        [("venue_id", ASCENDING), ("status", ASCENDING)], name="venue_status"
    )


MIGRATIONS = [Migration(201, "catalog: events", _create_collection)]
