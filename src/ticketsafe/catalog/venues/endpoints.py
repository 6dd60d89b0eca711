"""Venue endpoints (organizers of the owning organization only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from ticketsafe.catalog.venues import service as venue_service
from ticketsafe.catalog.venues.schemas import Venue, VenueDocument, VenueLayout, VenuePage
from ticketsafe.identity.deps import require_role
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.deps import DbDep
from ticketsafe.infra.pagination import CursorParam, PageLimit

router = APIRouter(tags=["venues"])
Organizer = Annotated[Principal, Depends(require_role(Role.ORGANIZER))]
_CSV = "text/csv"
_CSV_BODY = {"requestBody": {"required": True, "content": {_CSV: {"schema": {"type": "string"}}}}}


@router.post(
    "/organizations/{org_id}/venues", status_code=201, response_model=Venue,
    operation_id="create_venue", summary="Create a venue with its whole layout (JSON import)",
)  # fmt: skip
async def create_venue(org_id: str, body: VenueDocument, user: Organizer, db: DbDep) -> Venue:
    return await venue_service.create_venue(db, user, org_id, body)


@router.get("/organizations/{org_id}/venues", response_model=VenuePage, operation_id="list_venues")
async def list_venues(
    org_id: str,
    user: Organizer,
    db: DbDep,
    cursor: CursorParam = None,
    limit: PageLimit = 100,
) -> VenuePage:
    """The organization's venues by name; pass `next_cursor` back as `cursor` for more."""
    page = await venue_service.list_venues(db, user, org_id, cursor=cursor, limit=limit)
    return VenuePage(items=page.items, next_cursor=page.next_cursor)


@router.get("/venues/{venue_id}", response_model=Venue, operation_id="get_venue")
async def get_venue(venue_id: str, user: Organizer, db: DbDep) -> Venue:
    return await venue_service.get_venue(db, user, venue_id)


@router.get(
    "/venues/{venue_id}/layout", operation_id="export_venue",
    responses={200: {"model": VenueDocument}}, summary="Export the venue as JSON (re-importable)",
)  # fmt: skip
async def export_venue(venue_id: str, user: Organizer, db: DbDep) -> Response:
    document = await venue_service.export_venue(db, user, venue_id)
    return Response(document, media_type="application/json")


@router.put(
    "/venues/{venue_id}/layout", response_model=Venue, operation_id="replace_venue_layout",
    summary="Replace the seat map (refused once an event on the venue is published)",
)  # fmt: skip
async def replace_layout(venue_id: str, body: VenueLayout, user: Organizer, db: DbDep) -> Venue:
    return await venue_service.replace_layout(db, user, venue_id, body.sections)


@router.get(
    "/venues/{venue_id}/seats.csv", operation_id="export_venue_seats_csv",
    responses={200: {"content": {_CSV: {}}}}, summary="Export the reserved seats as CSV",
)  # fmt: skip
async def export_seats_csv(venue_id: str, user: Organizer, db: DbDep) -> Response:
    return Response(await venue_service.export_csv(db, user, venue_id), media_type=_CSV)


@router.put(
    "/venues/{venue_id}/seats.csv", response_model=Venue, operation_id="import_venue_seats_csv",
    openapi_extra=_CSV_BODY, summary="Replace the reserved sections from a CSV seat list",
)  # fmt: skip
async def import_seats_csv(venue_id: str, request: Request, user: Organizer, db: DbDep) -> Venue:
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    return await venue_service.import_csv(db, user, venue_id, text)
