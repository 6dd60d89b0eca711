"""Hold and availability endpoints: thin (schema, auth, dependencies, one service call)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Response
from pydantic import TypeAdapter, ValidationError

from ticketsafe.identity.deps import CurrentUser, fast_current_user
from ticketsafe.infra.fastlane import FastRequest, FastResponse, FastRoute
from ticketsafe.infra.idempotency import record_id, user_owner, valid_key
from ticketsafe.infra.openapi import problems
from ticketsafe.inventory.deps import (
    MAX_ADMISSION_TOKEN_LENGTH,
    AdmissionCheck,
    AdmissionDep,
    AdmissionToken,
    HoldOrdersDep,
    InventoryDep,
    WaitingRoomAdmission,
)
from ticketsafe.inventory.errors import HoldNotFound, SoldOut
from ticketsafe.inventory.live import hold_changed, hold_released
from ticketsafe.inventory.models import Availability, Hold, HoldOnce, Ident
from ticketsafe.inventory.schemas import (
    HoldBestRequest,
    HoldCreate,
    HoldGaRequest,
    HoldSeatsRequest,
)
from ticketsafe.inventory.service import InventoryService, event_of

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
    return await _place_hold(
        inventory, admission, event_id,
        user_id=user.user_id, body=body, admission_token=admission_token,
    )  # fmt: skip


async def _place_hold(
    inventory: InventoryService,
    admission: AdmissionCheck,
    event_id: str,
    *,
    user_id: str,
    body: HoldSeatsRequest | HoldBestRequest | HoldGaRequest,
    admission_token: str | None,
    once: HoldOnce | None = None,
) -> Hold:
    await admission(admission_token, user_id=user_id, event_id=event_id)
    try:
        if isinstance(body, HoldSeatsRequest):
            hold = await inventory.hold_seats(event_id, user_id, body.seat_ids, once=once)
        elif isinstance(body, HoldBestRequest):
            hold = await inventory.hold_best(
                event_id, user_id, body.section_id, body.quantity, body.category, once=once
            )
        else:
            hold = await inventory.hold_ga(
                event_id, user_id, body.area_id, body.quantity, once=once
            )
    except SoldOut:
        await admission.left(user_id=user_id, event_id=event_id)  # room for the next one
        raise
    if once is None or not once.replayed:
        hold_changed(inventory.engine.redis, hold, "created")  # the `me` channel, not awaited
    return hold


_EVENT_ID: TypeAdapter[str] = TypeAdapter(Ident)
_HOLD_IN: TypeAdapter[HoldSeatsRequest | HoldBestRequest | HoldGaRequest] = TypeAdapter(HoldCreate)
_HOLD_OUT: TypeAdapter[Hold] = TypeAdapter(Hold)


async def fast_create_hold(request: FastRequest) -> FastResponse | None:
    """`create_hold` on the fast lane; anything unusual goes to the route above."""
    try:
        event_id = _EVENT_ID.validate_python(request.params["event_id"])
    except ValidationError:
        return None  # FastAPI answers the canonical 422
    body = request.json_as(_HOLD_IN)
    if body is None:
        return None
    token = request.header(b"x-admission-token")
    if token is not None and len(token) > MAX_ADMISSION_TOKEN_LENGTH:
        return None
    key = request.header(b"idempotency-key")
    idempotency_key = key.decode("latin-1").strip() if key is not None else None
    if idempotency_key is not None and not valid_key(idempotency_key):
        return None  # the idempotency middleware answers the canonical 422
    user = await fast_current_user(request)
    once = None
    if idempotency_key is not None:  # kept by the hold's own atomic call: one round trip
        fingerprint = hashlib.sha256(request.scope["path"].encode() + b"\0" + request.body)
        record = record_id(user_owner(user.user_id), idempotency_key)
        once = HoldOnce(record, fingerprint.hexdigest()[:32])
    services = request.app.state.services
    hold = await _place_hold(
        services.inventory,
        WaitingRoomAdmission(services.waiting_room),
        event_id,
        user_id=user.user_id,
        body=body,
        admission_token=token.decode("latin-1") if token is not None else None,
        once=once,
    )
    replayed = ((b"idempotent-replayed", b"true"),) if once and once.replayed else ()
    return FastResponse(201, _HOLD_OUT.dump_json(hold), headers=replayed)


FAST_ROUTES = [
    FastRoute("POST", "/events/{event_id}/holds", fast_create_hold, own_idempotency=True)
]


@router.get("/holds/{hold_id}", operation_id="inventory_get_hold", responses=problems(410))
async def get_hold(
    event_id: Ident, hold_id: str, user: CurrentUser, inventory: InventoryDep, orders: HoldOrdersDep
) -> Hold:
    """A live hold. Once gone: 410 `hold_expired` (expired or released), or 410
    `hold_converted` with the `order_id` it became."""
    return await inventory.get_hold(_of_event(event_id, hold_id), user.user_id, orders=orders)


@router.post(
    "/holds/{hold_id}/extend", operation_id="inventory_extend_hold",
    responses={**_HOLD_ERRORS, **problems(410)},
)  # fmt: skip
async def extend_hold(
    event_id: Ident, hold_id: str, user: CurrentUser, inventory: InventoryDep
) -> Hold:
    """Once per hold, in the warning window before it expires."""
    hold = await inventory.extend_hold(_of_event(event_id, hold_id), user.user_id)
    hold_changed(inventory.engine.redis, hold, "extended")
    return hold


@router.delete(
    "/holds/{hold_id}", status_code=204, operation_id="inventory_release_hold",
    responses=problems(410),
)  # fmt: skip
async def release_hold(
    event_id: Ident,
    hold_id: str,
    user: CurrentUser,
    inventory: InventoryDep,
    admission: AdmissionDep,
) -> Response:
    """Give the units back; the shopper's place among the active ones goes to the queue."""
    await inventory.release_hold(_of_event(event_id, hold_id), user.user_id)
    hold_released(inventory.engine.redis, user.user_id, event_id, hold_id)
    await admission.left(user_id=user.user_id, event_id=event_id)
    return Response(status_code=204)


def _of_event(event_id: str, hold_id: str) -> str:
    """A hold id names its event: under another event's path it does not exist (404)."""
    if event_of(hold_id) != event_id:
        raise HoldNotFound()
    return hold_id


@router.get("/availability", operation_id="inventory_availability")
async def availability(event_id: Ident, inventory: InventoryDep) -> Availability:
    """Every seat's status and GA counts, with a version; live deltas follow on the
    event's Redis channel `ts:{evt_<id>}:changes`."""
    return await inventory.availability(event_id)
