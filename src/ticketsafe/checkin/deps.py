"""The process's one CheckinService (built by the composition root, `ticketsafe.services`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.checkin.service import CheckinService


async def get_checkin(request: Request) -> CheckinService:
    service: CheckinService = request.app.state.services.checkin
    return service


CheckinDep = Annotated[CheckinService, Depends(get_checkin)]
