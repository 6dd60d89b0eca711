"""Waiting-room HTTP API: thin endpoints, one service call each."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter

from ticketsafe.identity.deps import (
    AccessDep,
    CurrentMember,
    CurrentUser,
    fast_current_user,
    fast_read_as_user,
)
from ticketsafe.infra.fastlane import FastRequest, FastResponse, FastRoute
from ticketsafe.infra.openapi import problems
from ticketsafe.waitingroom.deps import HubDep, WaitingRoomDep
from ticketsafe.waitingroom.live import status_stream
from ticketsafe.waitingroom.schemas import (
    AdmissionUpdate,
    ChallengeOut,
    DrawOut,
    JoinIn,
    QueueStats,
    QueueStatus,
)
from ticketsafe.waitingroom.service import WaitingRoom

router = APIRouter(prefix="/waitingroom/events/{event_id}", tags=["waiting room"])


@router.post("/challenge", operation_id="waitingroom_challenge", responses=problems(429))
async def challenge(
    event_id: str, user: CurrentUser, room: WaitingRoomDep, request: Request
) -> ChallengeOut:
    """A proof-of-work challenge to solve before joining (rate-limited per IP and account)."""
    client_ip = request.client.host if request.client else "unknown"
    return await room.issue_challenge(event_id, user, client_ip)


@router.post("/join", operation_id="waitingroom_join", status_code=status.HTTP_200_OK)
async def join(event_id: str, body: JoinIn, user: CurrentUser, room: WaitingRoomDep) -> QueueStatus:
    """Take a place (one per account; joining again returns the same place)."""
    return await room.join(event_id, user, body)


_JOIN_IN: TypeAdapter[JoinIn] = TypeAdapter(JoinIn)
_STATUS_OUT: TypeAdapter[QueueStatus] = TypeAdapter(QueueStatus)
_CHALLENGE_OUT: TypeAdapter[ChallengeOut] = TypeAdapter(ChallengeOut)


async def fast_join(request: FastRequest) -> FastResponse | None:
    """`join` on the fast lane; anything unusual goes to the route above."""
    body = request.json_as(_JOIN_IN)
    if body is None:
        return None
    user = await fast_current_user(request)
    room: WaitingRoom = request.app.state.services.waiting_room
    place = await room.join(request.params["event_id"], user, body)
    return FastResponse(200, _STATUS_OUT.dump_json(place))


async def fast_challenge(request: FastRequest) -> FastResponse | None:
    """`challenge` on the fast lane: every visitor asks for one before joining."""
    user = await fast_current_user(request)
    room: WaitingRoom = request.app.state.services.waiting_room
    client = request.scope.get("client")
    client_ip = client[0] if client else "unknown"
    issued = await room.issue_challenge(request.params["event_id"], user, client_ip)
    return FastResponse(200, _CHALLENGE_OUT.dump_json(issued))


async def fast_status(request: FastRequest) -> FastResponse | None:
    """`queue_status` on the fast lane: the poll every waiting visitor repeats."""
    room: WaitingRoom = request.app.state.services.waiting_room
    event_id = request.params["event_id"]
    place = await fast_read_as_user(request, lambda user: room.status(event_id, user))
    return FastResponse(200, _STATUS_OUT.dump_json(place))


# The crowd's requests yield to the shop's under load (see `ticketsafe.infra.fastlane`).
FAST_ROUTES = [
    FastRoute("POST", "/waitingroom/events/{event_id}/challenge", fast_challenge, yields=True),
    FastRoute("POST", "/waitingroom/events/{event_id}/join", fast_join, yields=True),
    FastRoute("GET", "/waitingroom/events/{event_id}/status", fast_status, yields=True),
]


@router.get("/status", operation_id="waitingroom_status")
async def queue_status(event_id: str, user: CurrentUser, room: WaitingRoomDep) -> QueueStatus:
    """Position, people ahead, estimated wait, admission token once admitted. Polling it
    is the heartbeat that keeps the place (see the queue's grace period)."""
    return await room.status(event_id, user)


@router.get(
    "/status/stream",
    operation_id="waitingroom_status_stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def queue_status_stream(
    event_id: str, user: CurrentUser, room: WaitingRoomDep, hub: HubDep, access: AccessDep
) -> StreamingResponse:
    """The same status pushed as Server-Sent Events (also a heartbeat while connected);
    it ends when the session does (logout, refresh-token reuse)."""
    await room.status(event_id, user)  # 404 before the stream starts if there is no queue
    return StreamingResponse(
        access.while_signed_in(user, status_stream(room, hub, event_id, user)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/draw", operation_id="waitingroom_draw")
async def draw(event_id: str, room: WaitingRoomDep) -> DrawOut:
    """Public: the seed commitment, and after on-sale the seed, entries and drawn order.
    Check it with `ticketsafe verify-queue URL`."""
    return await room.public_draw(event_id)


@router.get("/stats", operation_id="waitingroom_stats")
async def stats(event_id: str, user: CurrentMember, room: WaitingRoomDep) -> QueueStats:
    """Organizer view: queue length, admitted, rate, abandoned, time to clear."""
    return await room.stats(event_id, user)


@router.patch("/admission", operation_id="waitingroom_update_admission")
async def update_admission(
    event_id: str, body: AdmissionUpdate, user: CurrentMember, room: WaitingRoomDep
) -> QueueStats:
    """Organizer: change the admission mode, rate (people/minute) or active target."""
    return await room.update_admission(event_id, user, body)


@router.post("/close", operation_id="waitingroom_close")
async def close(event_id: str, user: CurrentMember, room: WaitingRoomDep) -> QueueStats:
    """Organizer: end the waiting room (holds no longer need an admission token)."""
    return await room.close_queue(event_id, user)
