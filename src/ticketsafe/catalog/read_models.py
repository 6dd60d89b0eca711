"""What other domains read from the catalog (inventory, waiting room, orders).

These are the only catalog functions another domain may call besides
`event_service.change_status`. They answer typed, immutable views built from the
catalog's own collections, whatever the event's status (callers decide what a status
means for them). Seat ids are stable strings `<section>:r-<row>:s-<seat>` built from the
labels, e.g. `sec-A:r-3:s-12`: inventory uses them as Redis members and MongoDB keys.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from ticketsafe.catalog.errors import EventNotFound, VenueNotFound
from ticketsafe.catalog.events import repository as event_repository
from ticketsafe.catalog.events.lifecycle import EventStatus
from ticketsafe.catalog.events.schemas import (
    Event,
    PriceLevel,
    SalesWindow,
    TicketType,
    WaitingRoomConfig,
)
from ticketsafe.catalog.venues import repository as venue_repository
from ticketsafe.catalog.venues.schemas import Venue
from ticketsafe.infra.mongodb import Database


def seat_id(section_id: str, row_label: str, seat_label: str) -> str:
    return f"{section_id}:r-{row_label}:s-{seat_label}"


@dataclass(frozen=True, slots=True)
class EventSalesView:
    event_id: str
    org_id: str
    venue_id: str
    status: EventStatus
    currency: str  # ISO 4217: BRL, USD or EUR; every amount is in its minor units
    timezone: str  # IANA, for showing times
    starts_at: datetime
    ends_at: datetime
    hold_duration_s: int
    per_buyer_limit: int
    sales: SalesWindow  # on_sale_at / off_sale_at (aware datetimes, may be None in draft)
    waiting_room: WaitingRoomConfig  # enabled, pre_queue_minutes, admission_rate_per_minute
    price_levels: tuple[PriceLevel, ...]  # id, name, amount_minor, seat_categories, ga_areas
    ticket_types: tuple[TicketType, ...]  # id, kind, name, eligibility_note, quota, price_for()
    requires_cpf: bool
    name: str  # what a ticket shows of its event (`EventCard`), with the times above
    venue_name: str
    city: str
    buyer_cancellation_hours: int | None = None  # None: buyers cannot cancel paid orders

    def is_selling(self, now: datetime) -> bool:
        """On sale and inside the sales window. A published event whose `on_sale_at` has
        come is selling too: the sale starts at that instant, not when the sales clock
        next flips the stored status (holds open then as well, see `inventory`)."""
        opens, closes = self.sales.on_sale_at, self.sales.off_sale_at
        started = self.status is EventStatus.ON_SALE or (
            self.status is EventStatus.PUBLISHED and opens is not None
        )
        return started and (opens is None or opens <= now) and (closes is None or now < closes)

    def price_level(self, price_level_id: str) -> PriceLevel | None:
        return next((p for p in self.price_levels if p.id == price_level_id), None)

    def ticket_type(self, ticket_type_id: str) -> TicketType | None:
        return next((t for t in self.ticket_types if t.id == ticket_type_id), None)


@dataclass(frozen=True, slots=True)
class EventSeat:
    seat_id: str  # stable: f"{section_id}:r-{row_label}:s-{seat_label}"
    section_id: str
    row_label: str
    seat_label: str
    order: int  # position within the row, 0-based: adjacent seats differ by 1
    x: float
    y: float
    category: str
    price_level_id: str | None  # None while the event's price levels do not cover it
    accessibility: tuple[str, ...]  # wheelchair, companion, reduced_mobility, hearing, visual
    blocked: bool  # never for sale (set in the venue layout)


@dataclass(frozen=True, slots=True)
class GAArea:
    area_id: str
    name: str
    capacity: int
    price_level_id: str | None


@dataclass(frozen=True, slots=True)
class EventLayout:
    event_id: str
    venue_id: str
    layout_version: int
    seats: tuple[EventSeat, ...]  # in layout order: sections, rows, then along each row
    ga_areas: tuple[GAArea, ...]

    @property
    def sellable_seat_ids(self) -> list[str]:
        return [s.seat_id for s in self.seats if not s.blocked and s.price_level_id]


async def _event(db: Database, event_id: str) -> Event:
    event = await event_repository.find_event(db, event_id)
    if event is None:
        raise EventNotFound(f"no event {event_id}")
    return event


async def _venue(db: Database, event: Event) -> Venue:
    venue = await venue_repository.find_venue(db, event.venue_id)
    if venue is None:
        raise VenueNotFound(f"no venue {event.venue_id}")
    return venue


def sales_view_of(event: Event) -> EventSalesView:
    return EventSalesView(
        event_id=event.id,
        org_id=event.org_id,
        venue_id=event.venue_id,
        status=event.status,
        currency=event.currency or "BRL",
        timezone=event.timezone,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        hold_duration_s=event.hold_duration_s,
        per_buyer_limit=event.per_buyer_limit,
        sales=event.sales,
        waiting_room=event.waiting_room,
        price_levels=tuple(event.price_levels),
        ticket_types=tuple(event.ticket_types),
        requires_cpf=event.requires_cpf,
        name=event.name,
        venue_name=event.venue_name,
        city=event.city,
        buyer_cancellation_hours=event.buyer_cancellation_hours,
    )


# Sales views this process read recently: event id → (read at, view). See `get_sales_view`.
_recent_views: dict[str, tuple[float, EventSalesView]] = {}
_RECENT_VIEWS_MAX = 1_024
# The re-read under way per event: callers that find the view too old while it is being
# read again wait for that read (single flight). A gate rush re-read the event once per
# scan arriving during the read: 116 reads for 2,000 scans.
_rereads: dict[str, asyncio.Task[EventSalesView]] = {}


async def get_sales_view(db: Database, event_id: str, *, max_age_s: float = 0.0) -> EventSalesView:
    """Everything needed to sell an event. Raises `EventNotFound` (404).

    With `max_age_s`, a view this process read at most that long ago is answered again
    (a checkout during an on-sale reads the same event hundreds of times a second), and
    one read serves every caller that asks while it is under way. A change made through
    this process is seen at once (`forget_sales_view`); one made through another
    instance within `max_age_s`. Callers that decide on money or seats guard the rest
    themselves (the buyer's expected total, the hold)."""
    now = time.monotonic()
    if max_age_s <= 0:
        return _keep(event_id, now, sales_view_of(await _event(db, event_id)))
    recent = _recent_views.get(event_id)
    if recent is not None and now - recent[0] <= max_age_s:
        return recent[1]
    reread = _rereads.get(event_id)
    if reread is None or reread.get_loop() is not asyncio.get_running_loop():
        reread = asyncio.ensure_future(_reread(db, event_id, now))
        _rereads[event_id] = reread
    return await asyncio.shield(reread)  # a caller that leaves does not cancel the others'


async def _reread(db: Database, event_id: str, started: float) -> EventSalesView:
    this = asyncio.current_task()
    try:
        view = sales_view_of(await _event(db, event_id))
    finally:
        forgotten = _rereads.get(event_id) is not this
        if not forgotten:
            del _rereads[event_id]
    if forgotten:  # the event changed during the read: answer it, do not keep it
        return view
    return _keep(event_id, started, view)


def _keep(event_id: str, read_at: float, view: EventSalesView) -> EventSalesView:
    if len(_recent_views) >= _RECENT_VIEWS_MAX:
        _recent_views.clear()
    _recent_views[event_id] = (read_at, view)
    return view


async def owner_of(db: Database, event_id: str) -> str | None:
    """The organization that owns the event; None when there is no such event."""
    event = await event_repository.find_event(db, event_id)
    return event.org_id if event is not None else None


def forget_sales_view(event_id: str) -> None:
    """The event changed (through this process): the next read is a fresh one."""
    _recent_views.pop(event_id, None)
    _rereads.pop(event_id, None)  # a read under way may predate the change


async def iter_event_seats(db: Database, event_id: str) -> AsyncIterator[EventSeat]:
    """Every reserved seat of the event's venue, priced, streamed chunk by chunk."""
    event = await _event(db, event_id)
    venue = await _venue(db, event)
    async for seat in _seats(db, event, venue):
        yield seat


async def _seats(db: Database, event: Event, venue: Venue) -> AsyncIterator[EventSeat]:
    level_of = {c: p.id for p in event.price_levels for c in p.seat_categories}
    async for row in venue_repository.iter_rows(db, venue.id, venue.layout_id):
        for order, (label, x, y, category, accessibility, blocked) in enumerate(row.seats):
            yield EventSeat(
                seat_id=seat_id(row.section_id, row.label, label),
                section_id=row.section_id,
                row_label=row.label,
                seat_label=label,
                order=order,
                x=x,
                y=y,
                category=category,
                price_level_id=level_of.get(category),
                accessibility=tuple(accessibility),
                blocked=blocked,
            )


PriceLevels = tuple[dict[str, str | None], dict[str, str | None]]


async def price_levels_of(db: Database, event_id: str) -> PriceLevels:
    """seat id → price level id and GA area id → price level id: all that pricing needs of
    the seat map, without building every seat (`event_layout` of a 50,000-seat map took
    seconds of a loaded API process). Raises `EventNotFound`."""
    event = await _event(db, event_id)
    venue = await _venue(db, event)
    level_of = {c: p.id for p in event.price_levels for c in p.seat_categories}
    seats: dict[str, str | None] = {}
    async for row in venue_repository.iter_rows(db, venue.id, venue.layout_id):
        for label, _x, _y, category, _accessibility, _blocked in row.seats:
            seats[seat_id(row.section_id, row.label, label)] = level_of.get(category)
    level_of_area = {a: p.id for p in event.price_levels for a in p.ga_areas}
    areas = {s.id: level_of_area.get(s.id) for s in venue.sections if s.kind == "ga"}
    return seats, areas


async def event_layout(db: Database, event_id: str) -> EventLayout:
    """The whole seat map of an event, priced: seats and GA areas. Raises `EventNotFound`."""
    event = await _event(db, event_id)
    venue = await _venue(db, event)
    level_of_area = {a: p.id for p in event.price_levels for a in p.ga_areas}
    seats = tuple([s async for s in _seats(db, event, venue)])
    areas = tuple(
        GAArea(s.id, s.name, s.capacity, level_of_area.get(s.id))
        for s in venue.sections
        if s.kind == "ga"
    )
    return EventLayout(event.id, venue.id, venue.layout_version, seats, areas)


@dataclass(frozen=True)
class EventCard:
    """What a ticket (PDF, calendar entry) shows of its event."""

    event_id: str
    name: str
    venue_name: str
    city: str
    starts_at: datetime
    ends_at: datetime
    timezone: str


async def get_event_card(db: Database, event_id: str, *, max_age_s: float = 0.0) -> EventCard:
    """What a ticket shows of its event, from its sales view (`get_sales_view`, with the
    same `max_age_s`: the tickets e-mail of every order of an on-sale asks for the same
    event, 3 % of the worker mid-sale when each read it)."""
    view = await get_sales_view(db, event_id, max_age_s=max_age_s)
    return EventCard(
        view.event_id, view.name, view.venue_name, view.city, view.starts_at, view.ends_at,
        view.timezone,
    )  # fmt: skip
