"""FastAPI dependencies of the inventory, including the waiting-room integration point.

`AdmissionCheck` is the ONE place the hold endpoint asks "may this buyer hold seats for
this event now?". The waiting room is built separately; at merge the lead wires its token
verifier here (replace `get_admission_check`, or set `app.dependency_overrides`). Until
then `OpenAdmission` lets everyone through (the header is still accepted and passed on).
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Header

from ticketsafe.infra.deps import DbDep, RedisDep, SettingsDep
from ticketsafe.inventory.service import InventoryService


class AdmissionCheck(Protocol):
    async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
        """Return if admitted; raise a typed error (e.g. 403 `not_admitted`) if not."""


class OpenAdmission:
    """Placeholder until the waiting room's verifier is wired in: admits everyone."""

    async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
        return None


_OPEN = OpenAdmission()


def get_admission_check() -> AdmissionCheck:
    return _OPEN


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
