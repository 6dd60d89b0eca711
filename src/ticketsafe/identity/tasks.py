"""Identity's jobs: fan out a person's erasure to the other domains' hooks.

`identity.person_erased {person_id}` runs after an erasure committed; each hook (e.g.
`orders` anonymising its buyer references) gets the job context and the person id and
must be idempotent. Hooks are listed in `ticketsafe/tasks.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from ticketsafe.identity.service import PERSON_ERASED_JOB
from ticketsafe.infra.jobs import JobContext, JobRegistry

ErasureHook = Callable[[JobContext, str], Awaitable[None]]


def register(registry: JobRegistry, erasure_hooks: Sequence[ErasureHook]) -> None:
    @registry.task(PERSON_ERASED_JOB)
    async def person_erased(ctx: JobContext, person_id: str) -> None:
        for hook in erasure_hooks:
            await hook(ctx, person_id)
