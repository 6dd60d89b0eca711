"""Venue rules: ownership, layout validation, and replacing a layout safely."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import orjson

from ticketsafe.catalog.access import actor_of, ensure_member, manages
from ticketsafe.catalog.errors import StaleWrite, VenueInUse, VenueNotFound
from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.venues import repository as venue_repository
from ticketsafe.catalog.venues.schemas import (
    GeneralAdmissionIn,
    SectionIn,
    Venue,
    VenueDocument,
)
from ticketsafe.catalog.venues.seats_csv import export_seats_csv, parse_seats_csv
from ticketsafe.catalog.venues.validation import validate_layout
from ticketsafe.identity.principal import Principal
from ticketsafe.infra import audit
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.pagination import Page


def new_venue_id() -> str:
    return "ven_" + secrets.token_hex(8)


async def create_venue(
    db: Database, principal: Principal, org_id: str, payload: VenueDocument
) -> Venue:
    ensure_member(principal, org_id)
    validate_layout(payload.sections)
    venue_id, layout_id, now = new_venue_id(), venue_repository.new_layout_id(), datetime.now(UTC)
    sections = venue_repository.summarize(payload.sections)
    venue = Venue(
        id=venue_id,
        org_id=org_id,
        name=payload.name,
        city=payload.city,
        address=payload.address,
        timezone=payload.timezone,
        layout_version=1,
        layout_id=layout_id,
        sections=sections,
        created_at=now,
        updated_at=now,
        **venue_repository.venue_totals(sections),
    )
    # Seats first, venue last: a venue is never visible without its whole seat map.
    await venue_repository.write_layout_chunks(db, venue_id, layout_id, payload.sections)
    try:
        await venue_repository.insert_venue(db, venue)
    except BaseException:
        await venue_repository.delete_layout_chunks(db, venue_id, layout_id)
        raise
    await audit.record(
        db,
        actor=actor_of(principal),
        action="venue.created",
        subject=venue_id,
        data={"org_id": org_id, "seats": venue.seat_count, "ga_capacity": venue.ga_capacity},
    )
    return venue


async def get_venue(db: Database, principal: Principal, venue_id: str) -> Venue:
    venue = await venue_repository.find_venue(db, venue_id)
    if venue is None or not manages(principal, venue.org_id):
        raise VenueNotFound(f"no venue {venue_id}")
    return venue


async def list_venues(
    db: Database, principal: Principal, org_id: str, *, cursor: str | None, limit: int
) -> Page[Venue]:
    ensure_member(principal, org_id)
    return await venue_repository.list_org_venues(db, org_id, cursor=cursor, limit=limit)


async def export_venue(db: Database, principal: Principal, venue_id: str) -> bytes:
    """The venue as JSON in its import shape (`VenueDocument`), ready to re-import."""
    venue = await get_venue(db, principal, venue_id)
    return orjson.dumps(await venue_repository.load_document(db, venue))


async def export_csv(db: Database, principal: Principal, venue_id: str) -> str:
    venue = await get_venue(db, principal, venue_id)
    return export_seats_csv(await venue_repository.load_sections(db, venue))


async def replace_layout(
    db: Database, principal: Principal, venue_id: str, sections: list[SectionIn]
) -> Venue:
    """Swap the whole seat map. Refused once an event on this venue is past draft: its
    seats are what inventory sells, so they must not move under it."""
    venue = await get_venue(db, principal, venue_id)
    validate_layout(sections)
    if await event_repository.venue_has_events_past_draft(db, venue_id):
        raise VenueInUse("an event on this venue is published; its seat map is frozen")
    layout_id = venue_repository.new_layout_id()
    await venue_repository.write_layout_chunks(db, venue_id, layout_id, sections)
    switched = await venue_repository.switch_layout(
        db,
        venue_id,
        from_version=venue.layout_version,
        layout_id=layout_id,
        sections=venue_repository.summarize(sections),
        now=datetime.now(UTC),
    )
    if not switched:
        await venue_repository.delete_layout_chunks(db, venue_id, layout_id)
        raise StaleWrite("the layout was replaced concurrently")
    # An event may have been published between the check above and the switch: then its
    # seats are the old ones, so the old layout comes back (its chunks still exist).
    if await event_repository.venue_has_events_past_draft(db, venue_id):
        if await venue_repository.restore_layout(db, venue, replaced_by=layout_id):
            await venue_repository.delete_layout_chunks(db, venue_id, layout_id)
        raise VenueInUse("an event on this venue was published meanwhile; layout kept")
    await venue_repository.delete_layout_chunks(db, venue_id, venue.layout_id)
    await audit.record(
        db,
        actor=actor_of(principal),
        action="venue.layout_replaced",
        subject=venue_id,
        data={"layout_version": venue.layout_version + 1, "sections": len(sections)},
    )
    return await get_venue(db, principal, venue_id)


async def import_csv(db: Database, principal: Principal, venue_id: str, text: str) -> Venue:
    """Replace the reserved sections with a CSV seat list; GA areas stay as they are."""
    venue = await get_venue(db, principal, venue_id)
    reserved: list[SectionIn] = [*parse_seats_csv(text)]
    ga = [
        GeneralAdmissionIn(kind="ga", id=s.id, name=s.name, capacity=s.capacity)
        for s in venue.sections
        if s.kind == "ga"
    ]
    return await replace_layout(db, principal, venue_id, [*reserved, *ga])
