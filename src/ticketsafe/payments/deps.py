from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.infra.deps import JobsDep
from ticketsafe.payments.processors import ProviderContext


async def get_provider_context(request: Request, jobs: JobsDep) -> ProviderContext:
    """The providers' context for a request (`ticketsafe.services.Services.payments`)."""
    ctx: ProviderContext = request.app.state.services.payments(jobs)
    return ctx


PaymentsCtx = Annotated[ProviderContext, Depends(get_provider_context)]
