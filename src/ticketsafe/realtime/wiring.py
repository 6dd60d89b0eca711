"""Building a process's live layer (called from the composition root,
`ticketsafe.services`): the seat feeds read the inventory's availability and
`read_checkins` (the check-in domain's stats); sales channels are for the event's
organizers, read live from memberships."""

from __future__ import annotations

from ticketsafe.catalog.access import manages
from ticketsafe.catalog.read_models import owner_of
from ticketsafe.identity.access import Access
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.service import InventoryService
from ticketsafe.realtime.feeds import ReadCheckins, SeatFeeds, Snapshot
from ticketsafe.realtime.session import LiveContext
from ticketsafe.waitingroom.service import WaitingRoom


def build_live(
    resources: Resources, inventory: InventoryService, hub: Hub, room: WaitingRoom,
    access: Access, *, read_checkins: ReadCheckins,
) -> LiveContext:  # fmt: skip

    async def read(event_id: str) -> Snapshot:
        availability = await inventory.availability(event_id)
        seats = {seat: status.value for seat, status in availability.seats.items()}
        ga = {area: counts.available for area, counts in availability.ga.items()}
        return seats, ga

    async def can_manage(principal: Principal, event_id: str) -> bool:
        org_id = await owner_of(resources.db, event_id)
        return org_id is not None and manages(await access.as_member(principal), org_id)

    feeds = SeatFeeds(resources.redis, read, read_checkins)
    return LiveContext(resources.redis, hub, feeds, room, can_manage)
