"""Tickets API: holders see their tickets and live codes; organizers list an event's
tickets and set its code policy. Thin: schema, auth, one service call."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ticketsafe.identity.deps import AccountServiceDep, CurrentUser, OrganizationServiceDep
from ticketsafe.infra.deps import DbDep, JobsDep
from ticketsafe.tickets.deps import DeliveryDep, TicketsDep, TransfersDep, organizer_event
from ticketsafe.tickets.models import TicketStatus
from ticketsafe.tickets.schemas import (
    CodePolicyIn,
    CodePolicyOut,
    LiveCodeOut,
    TicketOut,
    TicketPage,
    TransferIn,
    TransferOut,
)

router = APIRouter(tags=["tickets"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/me/tickets", operation_id="tickets_mine")
async def my_tickets(
    user: CurrentUser, tickets: TicketsDep, after: str | None = None, limit: Limit = 100
) -> TicketPage:
    return TicketPage.of(await tickets.of_holder(user, after, limit), limit)


@router.get("/me/tickets/{ticket_id}/live-code", operation_id="tickets_live_code")
async def live_code(ticket_id: str, user: CurrentUser, tickets: TicketsDep) -> LiveCodeOut:
    """The signed code and its rotation secret: only the holder's session gets them."""
    return LiveCodeOut.of(await tickets.live_credentials(user, ticket_id))


@router.get("/orders/{order_id}/tickets", operation_id="tickets_of_order")
async def order_tickets(order_id: str, user: CurrentUser, tickets: TicketsDep) -> list[TicketOut]:
    """The buyer's tickets of one order (issued now if the issuing job has not run)."""
    return [TicketOut.of(t) for t in await tickets.of_order_for_buyer(user, order_id)]


@router.get("/orgs/{org_id}/events/{event_id}/tickets", operation_id="tickets_of_event")
async def event_tickets(
    org_id: str, event_id: str, *, user: CurrentUser, db: DbDep, orgs: OrganizationServiceDep,
    tickets: TicketsDep, status: TicketStatus | None = None, after: str | None = None,
    limit: Limit = 100,
) -> TicketPage:  # fmt: skip
    await organizer_event(db, orgs, user, org_id, event_id)
    return TicketPage.of(await tickets.of_event(event_id, status, after, limit), limit)


@router.put("/orgs/{org_id}/events/{event_id}/ticket-policy", operation_id="tickets_set_policy")
async def set_policy(
    org_id: str, event_id: str, body: CodePolicyIn, *, user: CurrentUser, db: DbDep,
    orgs: OrganizationServiceDep, tickets: TicketsDep,
) -> CodePolicyOut:  # fmt: skip
    """Whether printed codes admit, and how often a ticket may be transferred."""
    await organizer_event(db, orgs, user, org_id, event_id)
    await tickets.set_policy(event_id, org_id, body.static_codes, body.transfer_limit)
    key = await tickets.keys.public_key(event_id)
    return CodePolicyOut(
        event_id=event_id, static_codes=body.static_codes, transfer_limit=body.transfer_limit,
        public_key_b64=base64.urlsafe_b64encode(key).decode().rstrip("="),
    )  # fmt: skip


@router.post("/me/tickets/{ticket_id}/transfers", status_code=201, operation_id="tickets_offer")
async def offer_transfer(
    ticket_id: str, body: TransferIn, user: CurrentUser, transfers: TransfersDep, jobs: JobsDep
) -> TransferOut:
    """Offer the ticket to an e-mail address; its owner accepts while logged in."""
    return TransferOut.of(await transfers.offer(user, ticket_id, body.email, jobs))


@router.post("/ticket-transfers/{transfer_id}/accept", operation_id="tickets_accept_transfer")
async def accept_transfer(
    transfer_id: str, user: CurrentUser, transfers: TransfersDep, accounts: AccountServiceDep
) -> TicketOut:
    """Take the ticket: a new version and secret; its old codes stop admitting."""
    return TicketOut.of(await transfers.accept(user, transfer_id, accounts))


_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


@router.get(
    "/orders/{order_id}/tickets.pdf", operation_id="tickets_order_pdf", response_class=Response,
    responses=_PDF,
)  # fmt: skip
async def order_pdf(order_id: str, user: CurrentUser, delivery: DeliveryDep) -> Response:
    """The order's tickets to print: one page each, with the printable (static) code."""
    return _file(await delivery.order_pdf(user, order_id), "application/pdf", f"{order_id}.pdf")


@router.get(
    "/orders/{order_id}/event.ics", operation_id="tickets_order_ics", response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)  # fmt: skip
async def order_ics(order_id: str, user: CurrentUser, delivery: DeliveryDep) -> Response:
    """The order's event for a calendar (RFC 5545)."""
    return _file(await delivery.order_ics(user, order_id), "text/calendar", "event.ics")


@router.get(
    "/me/tickets/{ticket_id}/ticket.pdf", operation_id="tickets_ticket_pdf",
    response_class=Response, responses=_PDF,
)  # fmt: skip
async def ticket_pdf(ticket_id: str, user: CurrentUser, delivery: DeliveryDep) -> Response:
    """One ticket to print, for its holder (also after a transfer)."""
    return _file(await delivery.ticket_pdf(user, ticket_id), "application/pdf", f"{ticket_id}.pdf")


def _file(data: bytes, media_type: str, name: str) -> Response:
    headers = {"content-disposition": f'attachment; filename="{name}"', "cache-control": "private"}
    return Response(data, media_type=media_type, headers=headers)
