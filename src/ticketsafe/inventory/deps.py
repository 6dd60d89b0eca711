"""FastAPI dependencies of the inventory, including the waiting-room integration point.

`AdmissionCheck` is the ONE place the hold endpoint asks "may this buyer hold seats for
this event now?": the waiting room answers it (a token is required only while the event's
queue is active; see `WaitingRoom.require_admission`).
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Header

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.deps import DbDep, RedisDep, SettingsDep
from ticketsafe.inventory.service import InventoryService
from ticketsafe.waitingroom.deps import WaitingRoomDep
from ticketsafe.waitingroom.service import WaitingRoom


class AdmissionCheck(Protocol):
    async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
        """Return if admitted; raise a typed error (e.g. 403 `not_admitted`) if not."""


class WaitingRoomAdmission:
    """Holds need this account's admission token while the event's queue is active."""

    def __init__(self, room: WaitingRoom) -> None:
        self._room = room

    async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
        await self._room.require_admission(event_id, Principal(user_id), token)


def get_admission_check(room: WaitingRoomDep) -> AdmissionCheck:
    return WaitingRoomAdmission(room)


def get_admission_token(
    x_admission_token: Annotated[str | None, Header(max_length=4096)] = None,
) -> str | None:
    return x_admission_token


def get_inventory(db: DbDep, redis: RedisDep, settings: SettingsDep) -> InventoryService:
    return InventoryService(
        db,
        redis,
        commit_grace_s=settings.inventory_commit_grace_s,
        extend_warning_s=settings.inventory_extend_warning_s,
    )


AdmissionDep = Annotated[AdmissionCheck, Depends(get_admission_check)]
AdmissionToken = Annotated[str | None, Depends(get_admission_token)]
InventoryDep = Annotated[InventoryService, Depends(get_inventory)]
