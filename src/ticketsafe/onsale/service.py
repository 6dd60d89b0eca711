"""What happens when an event is published or put on sale.

Invariant 8 (the on-sale moment works from its first millisecond): inventory is
provisioned when the event is published, closed to holds until `on_sale_at` (checked by
the inventory's own script against Redis's clock), so it exists long before anyone can be
admitted. Publish is the earliest safe moment: the seat map is frozen once an event is
past draft (`venue_in_use`) and the fields that shape inventory (price levels, hold
duration, per-buyer limit) cannot change after publishing, so nothing makes it stale.
The waiting room's admission tick asks the inventory before letting anyone in
(`supply_probe`): nobody is admitted while the event is not provisioned or not open, and
a missing inventory is provisioned there and then.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.events.lifecycle import EventStatus
from ticketsafe.catalog.events.schemas import Event
from ticketsafe.catalog.events.status_listeners import StatusListener
from ticketsafe.catalog.read_models import EventSalesView, event_layout, get_sales_view
from ticketsafe.infra.jobs import JobQueue
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.inventory.errors import EventNotProvisioned, InventoryBusy
from ticketsafe.inventory.models import GaArea, InventoryLayout, ReservedSeat
from ticketsafe.inventory.service import InventoryService
from ticketsafe.waitingroom.admission import Admissions, SupplyProbe
from ticketsafe.waitingroom.schemas import AdmissionMode, QueueConfig, Stock
from ticketsafe.waitingroom.service import WaitingRoom

REFUND_EVENT_JOB = "orders.refund_event"
log = logging.getLogger("ticketsafe.onsale")


def status_listener(
    db: Database,
    redis: RedisClient,
    inventory: InventoryService,
    queue: JobQueue,
    room: WaitingRoom,
) -> StatusListener:
    """What the catalog calls after every status change of an event (in the api and in
    the worker's sales clock alike: the composition root builds one, `ticketsafe.services`)."""

    async def on_status(event: Event) -> None:
        if event.status is EventStatus.PUBLISHED:  # published, or its sales window moved
            await provision_inventory(db, inventory, event.id)  # closed until on_sale_at
            await configure_waiting_room(db, room, event.id)  # the pre-queue opens
        elif event.status is EventStatus.ON_SALE:
            await open_event(db, redis, inventory, room, event.id)
        elif event.status is EventStatus.CANCELLED:
            await queue.enqueue(REFUND_EVENT_JOB, {"event_id": event.id})

    return on_status


# Statuses whose inventory the admission tick may provision if it finds none.
_SELLABLE = frozenset({EventStatus.PUBLISHED, EventStatus.ON_SALE, EventStatus.SOLD_OUT})


def supply_probe(db: Database, inventory: InventoryService) -> SupplyProbe:
    """What the waiting room's admission tick asks of an event's inventory before
    admitting anyone: whether it can take holds now (provisioned and open; None when
    not, and nobody is admitted) and what is left to buy (it pauses admission when
    nothing is). An event found without inventory is provisioned here (published before
    provisioning at publish existed, or that attempt failed)."""

    async def probe(event_id: str) -> Stock | None:
        try:
            try:
                counts = await inventory.supply(event_id)
            except EventNotProvisioned:
                if (await get_sales_view(db, event_id)).status not in _SELLABLE:
                    raise
                await provision_inventory(db, inventory, event_id)
                counts = await inventory.supply(event_id)
        except (EventNotProvisioned, EventNotFound, InventoryBusy) as exc:
            # (EventNotFound: a queue with no catalog event behind it has nothing to sell)
            log.warning(
                "admission held back: inventory not ready",
                extra={"event_id": event_id, "reason": type(exc).__name__},
            )
            return None
        if not counts.open:
            return None  # the sale has not started for the inventory: nobody could hold
        return Stock(available=counts.available, holds=counts.holds)

    return probe


async def configure_waiting_room(db: Database, room: WaitingRoom, event_id: str) -> bool:
    view = await get_sales_view(db, event_id)
    if not view.waiting_room.enabled:
        return False
    await room.configure_queue(_queue_config(view))
    return True


async def open_event(
    db: Database,
    redis: RedisClient,
    inventory: InventoryService,
    room: WaitingRoom | None,
    event_id: str,
) -> None:
    """The sale has started (on time, early by hand, or again after a sell-out): make
    sure the inventory exists and is open, then the waiting room's configuration
    follows, and a pre-queue due for its draw is drawn at once (admissions follow on the
    admission tick). A provisioned, open inventory is left as it is: provisioning again
    at the busiest moment would only cost Redis time."""
    try:
        opened = (await inventory.supply(event_id)).open
    except EventNotProvisioned:
        opened = False
    if not opened:  # not provisioned, or started before the time it was closed until
        await provision_inventory(db, inventory, event_id)
    if room is not None and await configure_waiting_room(db, room, event_id):
        await Admissions(db, redis).draw(event_id)


async def provision_inventory(db: Database, inventory: InventoryService, event_id: str) -> int:
    """Provision the event's inventory, closed to holds until its `on_sale_at`
    (idempotent: sold and held units keep their state). Returns the units provisioned."""
    view = await get_sales_view(db, event_id)
    layout = await event_layout(db, event_id)
    seats = [
        ReservedSeat(
            seat_id=s.seat_id,
            section_id=s.section_id,
            row=s.row_label,
            order=s.order,
            x=s.x,
            y=s.y,
            category=s.price_level_id or "",
            blocked=s.blocked or s.price_level_id is None,  # unpriced seats are not for sale
        )
        for s in layout.seats
    ]
    areas = [
        GaArea(area_id=a.area_id, capacity=a.capacity) for a in layout.ga_areas if a.price_level_id
    ]
    focus_x, focus_y = _stage_focus(seats)
    opens = view.sales.on_sale_at
    return await inventory.provision_event(
        InventoryLayout(
            event_id=event_id,
            seats=seats,
            areas=areas,
            hold_duration_s=view.hold_duration_s,
            per_buyer_limit=view.per_buyer_limit,
            focus_x=focus_x,
            focus_y=focus_y,
            sales_open_ms=int(opens.timestamp() * 1000) if opens is not None else 0,
        )
    )


def _stage_focus(seats: list[ReservedSeat]) -> tuple[float, float]:
    """Without a drawn stage, the best seats are front-centre: middle x, smallest y."""
    if not seats:
        return 0.0, 0.0
    xs = [s.x for s in seats]
    return (min(xs) + max(xs)) / 2, min(s.y for s in seats)


def _queue_config(view: EventSalesView) -> QueueConfig:
    wr = view.waiting_room
    assert view.sales.on_sale_at is not None  # publishing requires it with a waiting room
    rate = wr.admission_rate_per_minute
    return QueueConfig(
        event_id=view.event_id,
        org_id=view.org_id,
        on_sale_at=view.sales.on_sale_at,
        pre_queue_window=timedelta(minutes=wr.pre_queue_minutes),
        mode=AdmissionMode.FIXED if rate else AdmissionMode.AUTO,
        rate_per_minute=rate or 600,
        pow_difficulty=wr.pow_difficulty,
    )
