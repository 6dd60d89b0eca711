"""The process's tickets services (built by the composition root, `ticketsafe.services`)
and the organizer check shared by the tickets and check-in endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.mongodb import Database
from ticketsafe.tickets.delivery import Delivery
from ticketsafe.tickets.service import TicketService
from ticketsafe.tickets.transfers import TransferService


async def get_tickets(request: Request) -> TicketService:
    service: TicketService = request.app.state.services.tickets
    return service


TicketsDep = Annotated[TicketService, Depends(get_tickets)]


async def get_transfers(request: Request) -> TransferService:
    transfers: TransferService = request.app.state.services.transfers
    return transfers


TransfersDep = Annotated[TransferService, Depends(get_transfers)]


async def get_delivery(request: Request) -> Delivery:
    delivery: Delivery = request.app.state.services.delivery
    return delivery


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
