"""Hold and availability endpoints: thin (schema, auth, dependencies, one service call)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ticketsafe.identity.deps import CurrentUser
from ticketsafe.inventory.deps import AdmissionDep, AdmissionToken, InventoryDep
from ticketsafe.inventory.models import Availability, Hold, Ident
from ticketsafe.inventory.schemas import HoldBestRequest, HoldCreate, HoldSeatsRequest

router = APIRouter(prefix="/events/{event_id}", tags=["inventory"])

_HOLD_ERRORS: dict[int | str, dict[str, str]] = {
    409: {"description": "sold out, seats taken (listed), no adjacent seats, or limit reached"},
    422: {"description": "invalid payload or unknown seats/areas"},
    503: {"description": "busy: retry after Retry-After seconds"},
}


@router.post(
    "/holds", status_code=201, operation_id="inventory_create_hold", responses=_HOLD_ERRORS
)
async def create_hold(
    event_id: Ident,
    body: HoldCreate,
    *,
    user: CurrentUser,
    inventory: InventoryDep,
    admission: AdmissionDep,
    admission_token: AdmissionToken,
) -> Hold:
    """Hold chosen seats, the best N adjacent seats, or N GA units; all or nothing."""
    await admission(admission_token, user_id=user.user_id, event_id=event_id)
    if isinstance(body, HoldSeatsRequest):
        return await inventory.hold_seats(event_id, user.user_id, body.seat_ids)
    if isinstance(body, HoldBestRequest):
        return await inventory.hold_best(
            event_id, user.user_id, body.section_id, body.quantity, body.category
        )
    return await inventory.hold_ga(event_id, user.user_id, body.area_id, body.quantity)


@router.get("/holds/{hold_id}", operation_id="inventory_get_hold")
async def get_hold(
    event_id: Ident, hold_id: str, user: CurrentUser, inventory: InventoryDep
) -> Hold:
    return await inventory.get_hold(hold_id, user.user_id)


@router.post(
    "/holds/{hold_id}/extend", operation_id="inventory_extend_hold", responses=_HOLD_ERRORS
)
async def extend_hold(
    event_id: Ident, hold_id: str, user: CurrentUser, inventory: InventoryDep
) -> Hold:
    """Once per hold, in the warning window before it expires."""
    return await inventory.extend_hold(hold_id, user.user_id)


@router.delete("/holds/{hold_id}", status_code=204, operation_id="inventory_release_hold")
async def release_hold(
    event_id: Ident, hold_id: str, user: CurrentUser, inventory: InventoryDep
) -> Response:
    await inventory.release_hold(hold_id, user.user_id)
    return Response(status_code=204)


@router.get("/availability", operation_id="inventory_availability")
async def availability(event_id: Ident, inventory: InventoryDep) -> Availability:
    """Every seat's status and GA counts, with a version; live deltas follow on the
    event's Redis channel `ts:{evt_<id>}:changes`."""
    return await inventory.availability(event_id)
