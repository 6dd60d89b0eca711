"""Event rules: ownership, fitting the venue, editing limits, and the lifecycle."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ticketsafe.catalog.access import actor_of, ensure_member, manages
from ticketsafe.catalog.errors import (
    EventInvalid,
    EventNotEditable,
    EventNotFound,
    InvalidTransition,
    StaleWrite,
    VenueNotFound,
)
from ticketsafe.catalog.events import listing_cache
from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.events.lifecycle import PUBLIC_STATUSES, EventStatus, check_transition
from ticketsafe.catalog.events.schemas import (
    EDITABLE_AFTER_DRAFT,
    EDITABLE_BEFORE_SALE,
    Event,
    EventCreate,
    EventFields,
    EventUpdate,
)
from ticketsafe.catalog.events.status_listeners import StatusListener
from ticketsafe.catalog.read_models import forget_sales_view
from ticketsafe.catalog.venues import repository as venue_repository
from ticketsafe.catalog.venues.schemas import Venue
from ticketsafe.identity.principal import Principal
from ticketsafe.infra import audit
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.pagination import Page
from ticketsafe.infra.redisdb import RedisClient

FINAL = frozenset({EventStatus.ENDED, EventStatus.CANCELLED})


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(8)


async def _venue_of_org(db: Database, venue_id: str, org_id: str) -> Venue:
    venue = await venue_repository.find_venue(db, venue_id)
    if venue is None or venue.org_id != org_id:  # another tenant's venue looks missing
        raise VenueNotFound(f"no venue {venue_id} in organization {org_id}")
    return venue


def _check_fits_venue(fields: EventFields, venue: Venue) -> None:
    problems: list[dict[str, Any]] = []
    areas = {s.id for s in venue.sections if s.kind == "ga"}
    for i, level in enumerate(fields.price_levels):
        for j, category in enumerate(level.seat_categories):
            if category not in venue.categories:
                problems.append(
                    _problem("unknown_seat_category", i, "seat_categories", j, category)
                )
        for j, area in enumerate(level.ga_areas):
            if area not in areas:
                problems.append(_problem("unknown_ga_area", i, "ga_areas", j, area))
    if problems:
        raise EventInvalid(problems)


def _problem(code: str, level: int, field: str, index: int, value: str) -> dict[str, Any]:
    return {
        "code": code,
        "loc": ["body", "price_levels", level, field, index],
        "msg": f"{value!r} is not in the venue's layout",
    }


def _check_ready_to_publish(event: Event, venue: Venue) -> None:
    problems: list[dict[str, Any]] = []
    priced_categories = {c for p in event.price_levels for c in p.seat_categories}
    priced_areas = {a for p in event.price_levels for a in p.ga_areas}
    for category in venue.categories:
        if category not in priced_categories:
            problems.append(
                {"code": "unpriced_seat_category", "loc": ["price_levels"],
                 "msg": f"seat category {category!r} has no price level"}
            )  # fmt: skip
    for section in venue.sections:
        if section.kind == "ga" and section.id not in priced_areas:
            problems.append(
                {"code": "unpriced_ga_area", "loc": ["price_levels"],
                 "msg": f"GA area {section.id!r} has no price level"}
            )  # fmt: skip
    problems += _sales_problems(event)
    if problems:
        raise EventInvalid(problems)


def _sales_problems(event: EventFields) -> list[dict[str, Any]]:
    if event.sales.on_sale_at is None or event.sales.off_sale_at is None:
        return [
            {"code": "sales_window_missing", "loc": ["sales"],
             "msg": "set on_sale_at and off_sale_at before publishing"}
        ]  # fmt: skip
    if event.sales.off_sale_at > event.ends_at:
        return [
            {"code": "sales_after_event", "loc": ["sales", "off_sale_at"],
             "msg": "sales must close by the end of the event"}
        ]  # fmt: skip
    return []


def sale_started(event: Event, now: datetime) -> bool:
    """Past published, or published with its `on_sale_at` come (the sale starts at that
    instant whether or not the sales clock has flipped the status yet)."""
    if event.status is EventStatus.DRAFT:
        return False
    if event.status is not EventStatus.PUBLISHED:
        return True
    return event.sales.on_sale_at is None or event.sales.on_sale_at <= now


def _editable(event: Event, now: datetime) -> frozenset[str]:
    if event.status is EventStatus.PUBLISHED and not sale_started(event, now):
        return EDITABLE_AFTER_DRAFT | EDITABLE_BEFORE_SALE
    return EDITABLE_AFTER_DRAFT


def _check_moved_sales(event: Event, fields: EventFields, now: datetime) -> None:
    """A published event's new sales window: complete, inside the event, in the future
    (to start now, the organizer moves the status to on_sale)."""
    problems = _sales_problems(fields)
    opens = fields.sales.on_sale_at
    if not problems and opens is not None and opens != event.sales.on_sale_at and opens <= now:
        problems.append(
            {"code": "on_sale_in_past", "loc": ["body", "sales", "on_sale_at"],
             "msg": "a published event's sale can move to a later moment only; to start "
                    "it now, change its status to on_sale"}
        )  # fmt: skip
    if problems:
        raise EventInvalid(problems)


async def create_event(
    db: Database, principal: Principal, org_id: str, payload: EventCreate
) -> Event:
    ensure_member(principal, org_id)
    venue = await _venue_of_org(db, payload.venue_id, org_id)
    _check_fits_venue(payload, venue)
    now = datetime.now(UTC)
    event = Event(
        **payload.model_dump(),
        id=new_event_id(),
        org_id=org_id,
        status=EventStatus.DRAFT,
        venue_name=venue.name,
        city=venue.city,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await event_repository.insert_event(db, event)
    await audit.record(
        db, actor=actor_of(principal), action="event.created", subject=event.id,
        data={"org_id": org_id, "venue_id": venue.id},
    )  # fmt: skip
    return event


async def get_event(db: Database, principal: Principal | None, event_id: str) -> Event:
    """Public events for anyone; drafts only for members of the owning organization."""
    event = await event_repository.find_event(db, event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    if event.status in PUBLIC_STATUSES:
        return event
    if not manages(principal, event.org_id):
        raise EventNotFound(f"no event {event_id}")
    return event


async def get_owned_event(db: Database, principal: Principal, event_id: str) -> Event:
    event = await event_repository.find_event(db, event_id)
    if event is None or not manages(principal, event.org_id):
        raise EventNotFound(f"no event {event_id}")
    return event


async def list_org_events(
    db: Database, principal: Principal, org_id: str, *, cursor: str | None, limit: int
) -> Page[Event]:
    ensure_member(principal, org_id)
    return await event_repository.list_org_events(db, org_id, cursor=cursor, limit=limit)


async def update_event(
    db: Database,
    redis: RedisClient,
    principal: Principal,
    event_id: str,
    patch: EventUpdate,
    *,
    listeners: Sequence[StatusListener] = (),
) -> Event:
    """Edit an event. Once published only a few fields may change; the sales window
    until the sale starts, after which the `listeners` (waiting room, inventory) are told
    the published event's new state, as after publishing."""
    event = await get_owned_event(db, principal, event_id)
    changes = patch.model_dump(exclude_unset=True)
    if event.status in FINAL:
        raise EventNotEditable(f"a {event.status.value} event cannot change")
    now = datetime.now(UTC)
    editable = _editable(event, now)
    if event.status is not EventStatus.DRAFT and set(changes) - editable:
        fixed = sorted(set(changes) - editable)
        raise EventNotEditable(
            f"after publishing only {sorted(EDITABLE_AFTER_DRAFT)} may change, and the "
            "sales window until the sale starts",
            fields=fixed,
        )
    current = event.model_dump(include=set(EventFields.model_fields))
    try:
        fields = EventFields.model_validate({**current, **changes})
    except ValidationError as exc:
        raise EventInvalid(
            [{"code": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        ) from None
    venue = await _venue_of_org(db, fields.venue_id, event.org_id)
    _check_fits_venue(fields, venue)
    moved_sales = event.status is EventStatus.PUBLISHED and "sales" in changes
    if moved_sales:
        _check_moved_sales(event, fields, now)
    updated = Event(
        **fields.model_dump(),
        id=event.id,
        org_id=event.org_id,
        status=event.status,
        venue_name=venue.name,
        city=venue.city,
        version=event.version + 1,
        created_at=event.created_at,
        updated_at=datetime.now(UTC),
    )
    if not await event_repository.replace_event(db, updated, expected_version=event.version):
        raise StaleWrite(f"event {event_id} changed meanwhile")
    forget_sales_view(event.id)
    await audit.record(
        db, actor=actor_of(principal), action="event.updated", subject=event.id,
        data={"fields": sorted(changes)},
    )  # fmt: skip
    if event.status in PUBLIC_STATUSES:
        await listing_cache.invalidate_event(redis, event.id)
    if moved_sales:  # the pre-queue hears the new time; inventory stays closed until it
        for listener in listeners:
            await listener(updated)
    return updated


async def change_status(
    db: Database,
    redis: RedisClient,
    event_id: str,
    target: EventStatus,
    *,
    actor: str,
    reason: str | None = None,
    listeners: Sequence[StatusListener] = (),
) -> Event:
    """Move an event along its lifecycle (audited, caches invalidated), then tell the
    `listeners` (other domains' reactions, wired by the composition root).

    For other domains too: inventory calls it with `SOLD_OUT` when the last seat sells and
    `ON_SALE` when seats come back. Raises `EventNotFound`, `InvalidTransition` (409),
    `EventInvalid` (422, publishing an event that is not ready)."""
    event = await event_repository.find_event(db, event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    check_transition(event.status, target)
    if target is EventStatus.PUBLISHED:
        venue = await venue_repository.find_venue(db, event.venue_id)
        if venue is None:
            raise VenueNotFound(f"no venue {event.venue_id}")
        _check_ready_to_publish(event, venue)
    now = datetime.now(UTC)
    # Started by hand before its time: the sale starts now, for everyone at once (the
    # waiting room draws its pre-queue, inventory opens), so `on_sale_at` moves to now.
    starts_early = (
        target is EventStatus.ON_SALE
        and event.status is EventStatus.PUBLISHED
        and not sale_started(event, now)
    )
    moved = await event_repository.move_status(
        db, event_id, current=event.status, target=target, now=now,
        on_sale_at=now if starts_early else None,
    )  # fmt: skip
    forget_sales_view(event_id)
    if not moved:  # someone else moved it first: report against what it is now
        latest = await event_repository.find_event(db, event_id)
        if latest is not None:
            check_transition(latest.status, target)
        raise InvalidTransition(f"event {event_id} changed status meanwhile")
    data: dict[str, Any] = {"from": event.status.value, "to": target.value}
    update: dict[str, Any] = {"status": target, "version": event.version + 1, "updated_at": now}
    if starts_early:
        data["on_sale_at"] = {"was": event.sales.on_sale_at, "now": now}
        update["sales"] = event.sales.model_copy(update={"on_sale_at": now})
    await audit.record(
        db, actor=actor, action=f"event.{target.value}", subject=event_id, reason=reason,
        data=data,
    )  # fmt: skip
    await listing_cache.invalidate_event(redis, event_id)
    moved_event = event.model_copy(update=update)
    for listener in listeners:  # e.g. on sale → inventory provisioned, queue configured
        await listener(moved_event)
    return moved_event


async def change_status_as(
    db: Database,
    redis: RedisClient,
    principal: Principal,
    event_id: str,
    *,
    target: EventStatus,
    reason: str | None,
    listeners: Sequence[StatusListener] = (),
) -> Event:
    await get_owned_event(db, principal, event_id)
    return await change_status(
        db, redis, event_id, target, actor=actor_of(principal), reason=reason,
        listeners=listeners,
    )  # fmt: skip
