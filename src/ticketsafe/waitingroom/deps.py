"""FastAPI dependencies for the waiting-room service and the live hub (the process's
ones, built by the composition root `ticketsafe.services`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.infra.live_hub import Hub
from ticketsafe.waitingroom.service import WaitingRoom


async def get_waiting_room(request: Request) -> WaitingRoom:
    # async: FastAPI runs plain `def` dependencies in a thread pool, which costs more than
    # this whole function on the join hot path.
    room: WaitingRoom = request.app.state.services.waiting_room
    return room


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.services.hub
    return hub


WaitingRoomDep = Annotated[WaitingRoom, Depends(get_waiting_room)]
HubDep = Annotated[Hub, Depends(get_hub)]
