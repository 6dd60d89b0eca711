from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ticketsafe.infra.deps import DbDep, JobsDep, RedisDep, SettingsDep
from ticketsafe.payments.providers import ProviderContext


async def get_provider_context(
    db: DbDep, redis: RedisDep, jobs: JobsDep, settings: SettingsDep
) -> ProviderContext:
    return ProviderContext(db, redis, jobs, settings)


PaymentsCtx = Annotated[ProviderContext, Depends(get_provider_context)]
