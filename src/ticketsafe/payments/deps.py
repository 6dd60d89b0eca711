from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.infra.deps import DbDep, JobsDep, RedisDep, SettingsDep
from ticketsafe.payments.processors import ProviderContext


async def get_provider_context(
    request: Request, db: DbDep, redis: RedisDep, jobs: JobsDep, settings: SettingsDep
) -> ProviderContext:
    return ProviderContext(db, redis, jobs, settings, request.app.state.resources.http)


PaymentsCtx = Annotated[ProviderContext, Depends(get_provider_context)]
