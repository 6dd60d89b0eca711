"""FastAPI dependencies of the inventory, including the waiting-room integration point.

`AdmissionCheck` is the ONE place the hold endpoint asks "may this buyer hold seats for
this event now?": the waiting room answers it (a token is required only while the event's
queue is active; see `WaitingRoom.require_admission`).
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Header, Request

from ticketsafe.identity.principal import Principal
from ticketsafe.inventory.service import HoldOrders, InventoryService
from ticketsafe.waitingroom.deps import WaitingRoomDep
from ticketsafe.waitingroom.service import WaitingRoom

# Every dependency here is `async def`: FastAPI runs plain `def` dependencies in a worker
# thread, and on the hold hot path those thread hops cost more than the Redis call itself.


class AdmissionCheck(Protocol):
    async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
        """Return if admitted; raise a typed error (e.g. 403 `not_admitted`) if not."""

    async def left(self, *, user_id: str, event_id: str) -> None:
        """The admitted shopper is done without buying (sold out, hold released): their
        place among the active shoppers goes to the next person in the queue."""


class WaitingRoomAdmission:
    """Holds need this account's admission token while the event's queue is active."""

    def __init__(self, room: WaitingRoom) -> None:
        self._room = room

    async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
        await self._room.require_admission(event_id, Principal(user_id), token)

    async def left(self, *, user_id: str, event_id: str) -> None:
        await self._room.record_shopper_left(event_id, user_id)


async def get_admission_check(room: WaitingRoomDep) -> AdmissionCheck:
    return WaitingRoomAdmission(room)


async def get_hold_orders(request: Request) -> HoldOrders | None:
    """What holds became (the orders domain answers; the composition root wires it, as
    the waiting room's check above): lets a hold that is gone say it became an order."""
    found: HoldOrders = request.app.state.services.hold_orders
    return found


MAX_ADMISSION_TOKEN_LENGTH = 4096


async def get_admission_token(
    x_admission_token: Annotated[str | None, Header(max_length=MAX_ADMISSION_TOKEN_LENGTH)] = None,
) -> str | None:
    return x_admission_token


async def get_inventory(request: Request) -> InventoryService:
    """The process's one inventory service (`ticketsafe.services`), with its settings."""
    inventory: InventoryService = request.app.state.services.inventory
    return inventory


AdmissionDep = Annotated[AdmissionCheck, Depends(get_admission_check)]
AdmissionToken = Annotated[str | None, Depends(get_admission_token)]
HoldOrdersDep = Annotated[HoldOrders | None, Depends(get_hold_orders)]
InventoryDep = Annotated[InventoryService, Depends(get_inventory)]
