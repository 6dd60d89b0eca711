"""Event endpoints: organizer management, lifecycle, and the public catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.events import listing_service, seat_map
from ticketsafe.catalog.events import service as event_service
from ticketsafe.catalog.events.repository import PublicQuery
from ticketsafe.catalog.events.schemas import (
    Event,
    EventCreate,
    EventPage,
    EventUpdate,
    StatusChange,
)
from ticketsafe.catalog.events.seat_map import SeatMap
from ticketsafe.catalog.events.status_listeners import StatusListenersDep
from ticketsafe.identity.deps import AccessDep, OptionalUser, require_role
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.deps import DbDep, RedisDep
from ticketsafe.infra.fields import Instant
from ticketsafe.infra.pagination import CursorParam, PageLimit

router = APIRouter(tags=["events"])
Organizer = Annotated[Principal, Depends(require_role(Role.ORGANIZER))]
_JSON = "application/json"


@router.post(
    "/organizations/{org_id}/events", status_code=201, response_model=Event,
    operation_id="create_event", summary="Create an event (as a draft)",
)  # fmt: skip
async def create_event(org_id: str, body: EventCreate, user: Organizer, db: DbDep) -> Event:
    return await event_service.create_event(db, user, org_id, body)


@router.get(
    "/organizations/{org_id}/events", response_model=EventPage, operation_id="list_org_events"
)
async def list_org_events(
    org_id: str,
    user: Organizer,
    db: DbDep,
    cursor: CursorParam = None,
    limit: PageLimit = 100,
) -> EventPage:
    """The organization's events by start, earliest first (drafts included); pass
    `next_cursor` back as `cursor` for the next page."""
    page = await event_service.list_org_events(db, user, org_id, cursor=cursor, limit=limit)
    return EventPage(items=page.items, next_cursor=page.next_cursor)


@router.patch("/events/{event_id}", response_model=Event, operation_id="update_event")
async def update_event(
    event_id: str,
    *,
    body: EventUpdate,
    user: Organizer,
    db: DbDep,
    redis: RedisDep,
    listeners: StatusListenersDep,
) -> Event:
    """Edit an event; once published only description and images, and the sales window
    until the sale starts (the waiting room's pre-queue is told the new time)."""
    return await event_service.update_event(db, redis, user, event_id, body, listeners=listeners)


@router.post(
    "/events/{event_id}/status", response_model=Event, operation_id="change_event_status",
    summary="Move the event along its lifecycle (409 for a transition that is not allowed)",
)  # fmt: skip
async def change_status(
    event_id: str,
    *,
    body: StatusChange,
    user: Organizer,
    db: DbDep,
    redis: RedisDep,
    listeners: StatusListenersDep,
) -> Event:
    return await event_service.change_status_as(
        db, redis, user, event_id, target=body.status, reason=body.reason, listeners=listeners
    )


@router.get(
    "/events", operation_id="search_events", responses={200: {"model": EventPage}},
    summary="Public listing and search: published, on-sale and sold-out events by start time",
)  # fmt: skip
async def search_events(
    *,
    db: DbDep,
    redis: RedisDep,
    q: Annotated[str | None, Query(max_length=100, description="Name, venue or city")] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    venue_id: Annotated[str | None, Query(max_length=64)] = None,
    starts_from: Instant | None = None,
    starts_until: Instant | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=listing_service.MAX_PAGE)] = 20,
) -> Response:
    query = PublicQuery(q, city, venue_id, starts_from, starts_until)
    page = await listing_service.search_page(db, redis, query, cursor, limit)
    return Response(page, media_type=_JSON)


@router.get(
    "/events/{event_id}", operation_id="get_event", responses={200: {"model": Event}},
    summary="An event: public once published; drafts only for its organization",
)  # fmt: skip
async def get_event(
    event_id: str, user: OptionalUser, access: AccessDep, db: DbDep, redis: RedisDep
) -> Response:
    try:
        return Response(await listing_service.public_event(db, redis, event_id), media_type=_JSON)
    except EventNotFound:
        if user is None:
            raise
    event = await event_service.get_event(db, await access.as_member(user), event_id)
    return Response(event.model_dump_json(), media_type=_JSON)


@router.get(
    "/events/{event_id}/seat-map", operation_id="get_event_seat_map",
    responses={200: {"model": SeatMap}},
    summary="Seats (position, category, price level, accessibility) and GA areas to draw",
)  # fmt: skip
async def get_seat_map(
    event_id: str, user: OptionalUser, access: AccessDep, db: DbDep, redis: RedisDep
) -> Response:
    try:  # public events first: the crowd's views never read memberships
        return Response(await seat_map.seat_map(db, redis, None, event_id), media_type=_JSON)
    except EventNotFound:
        if user is None:
            raise
    member = await access.as_member(user)  # a draft: only for its organization
    return Response(await seat_map.seat_map(db, redis, member, event_id), media_type=_JSON)
