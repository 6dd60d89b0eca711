from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ticketsafe.infra.deps import DbDep, JobsDep, SettingsDep
from ticketsafe.payments.providers import ProviderContext


async def get_provider_context(db: DbDep, jobs: JobsDep, settings: SettingsDep) -> ProviderContext:
    return ProviderContext(db, jobs, settings)


PaymentsCtx = Annotated[ProviderContext, Depends(get_provider_context)]
