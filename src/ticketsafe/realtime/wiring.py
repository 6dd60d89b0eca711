"""Building a process's live layer (called from the composition root,
`ticketsafe.services`): the seat feeds read the inventory's availability and the
tickets' check-in marks; sales channels are for the event's organizers, read live from
memberships."""

from __future__ import annotations

from typing import Any

from ticketsafe.catalog.access import manages
from ticketsafe.catalog.read_models import get_sales_view, owner_of
from ticketsafe.checkin.stats import counts as checkin_counts
from ticketsafe.identity.access import Access
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.service import InventoryService
from ticketsafe.realtime.feeds import SeatFeeds, Snapshot
from ticketsafe.realtime.hub import Hub
from ticketsafe.realtime.session import LiveContext
from ticketsafe.tickets.service import TicketService
from ticketsafe.waitingroom.service import WaitingRoom


def build_live(
    resources: Resources, inventory: InventoryService, hub: Hub, room: WaitingRoom,
    access: Access, *, tickets: TicketService,
) -> LiveContext:  # fmt: skip

    async def read(event_id: str) -> Snapshot:
        availability = await inventory.availability(event_id)
        seats = {seat: status.value for seat, status in availability.seats.items()}
        ga = {area: counts.available for area, counts in availability.ga.items()}
        return seats, ga

    async def read_checkins(event_id: str) -> dict[str, Any]:
        view = await get_sales_view(resources.db, event_id, max_age_s=60.0)
        admissions = await tickets.admissions(event_id)
        per_gate, per_slot = checkin_counts(admissions, view.timezone)
        return {"admitted": len(admissions), "per_gate": per_gate, "per_slot": per_slot}

    async def can_manage(principal: Principal, event_id: str) -> bool:
        org_id = await owner_of(resources.db, event_id)
        return org_id is not None and manages(await access.as_member(principal), org_id)

    feeds = SeatFeeds(resources.redis, read, read_checkins)
    return LiveContext(resources.redis, hub, feeds, room, can_manage)
