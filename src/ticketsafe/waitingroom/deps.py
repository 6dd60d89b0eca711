"""FastAPI dependency for the waiting-room service (built once per app, lazily)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from ticketsafe.infra.deps import get_resources
from ticketsafe.realtime.hub import Hub
from ticketsafe.waitingroom.service import WaitingRoom


def waiting_room_of(state: Any) -> WaitingRoom:
    """The app's one WaitingRoom (`app.state`), made on first use."""
    room: WaitingRoom | None = getattr(state, "waiting_room", None)
    if room is None:
        room = state.waiting_room = WaitingRoom.from_resources(state.resources)
    return room


async def get_waiting_room(request: Request) -> WaitingRoom:
    # async: FastAPI runs plain `def` dependencies in a thread pool, which costs more than
    # this whole function on the join hot path.
    return waiting_room_of(request.app.state)


async def get_hub(request: Request) -> Hub:
    hub: Hub | None = getattr(request.app.state, "realtime_hub", None)
    if hub is None:
        hub = Hub((await get_resources(request)).redis)
        request.app.state.realtime_hub = hub
    return hub


WaitingRoomDep = Annotated[WaitingRoom, Depends(get_waiting_room)]
HubDep = Annotated[Hub, Depends(get_hub)]
