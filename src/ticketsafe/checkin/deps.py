"""The api process's one CheckinService (built in the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.checkin.service import CheckinService


async def get_checkin(request: Request) -> CheckinService:
    service: CheckinService = request.app.state.checkin
    return service


CheckinDep = Annotated[CheckinService, Depends(get_checkin)]
