"""The api process's one TicketService (built in the lifespan) and the organizer check
shared by the tickets and check-in endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.identity.deps import VaultDep
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.deps import RedisDep, SettingsDep
from ticketsafe.infra.mongodb import Database
from ticketsafe.realtime.me_feed import ticket_transferred
from ticketsafe.tickets.delivery import Delivery
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import TicketService
from ticketsafe.tickets.transfers import TransferService


async def get_tickets(request: Request) -> TicketService:
    service: TicketService = request.app.state.tickets
    return service


TicketsDep = Annotated[TicketService, Depends(get_tickets)]


async def get_transfers(
    tickets: TicketsDep, vault: VaultDep, settings: SettingsDep, redis: RedisDep
) -> TransferService:
    def announce(from_id: str, ticket: Ticket) -> None:
        ticket_transferred(redis, from_id, ticket)  # both holders' `me` channels

    return TransferService(tickets, vault, settings.public_base_url, announce)


TransfersDep = Annotated[TransferService, Depends(get_transfers)]


async def get_delivery(tickets: TicketsDep, vault: VaultDep) -> Delivery:
    return Delivery(tickets, vault)


DeliveryDep = Annotated[Delivery, Depends(get_delivery)]


async def organizer_event(
    db: Database, orgs: OrganizationService, user: Principal, org_id: str, event_id: str
) -> EventSalesView:
    """The event, if `user` is a member of `org_id` right now (the database, not the
    token) and the event is that organization's; else it does not exist for them."""
    view = await get_sales_view(db, event_id)
    if view.org_id != org_id or not await orgs.is_member(user.user_id, org_id):
        raise EventNotFound()
    return view
