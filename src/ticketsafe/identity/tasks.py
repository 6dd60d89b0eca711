"""Identity's jobs: fan out a person's erasure to the other domains' hooks.

`identity.person_erased {person_id}` runs after an erasure committed; each hook (e.g.
`orders` anonymising its buyer references) gets the job context and the person id and
must be idempotent. Hooks are listed in `ticketsafe/tasks.py`. The job runs twice per
erasure, and again if it was lost (see `identity.erasures`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from ticketsafe.identity import erasures
from ticketsafe.identity.erasures import ERASURE_OUTBOX, PERSON_ERASED_JOB
from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.redrive import REDRIVE_INTERVAL_S, periodic_pass

ErasureHook = Callable[[JobContext, str], Awaitable[None]]


def register(registry: JobRegistry, erasure_hooks: Sequence[ErasureHook]) -> None:
    @registry.task(PERSON_ERASED_JOB)
    async def person_erased(ctx: JobContext, person_id: str) -> None:
        for hook in erasure_hooks:
            await hook(ctx, person_id)
        await erasures.mark_done(ctx.db, person_id)


def periodic_tasks() -> list[PeriodicTask]:
    """An erasure whose job was lost gets it again (`identity.erasures`)."""
    return [
        PeriodicTask("identity.erasure_redrive", REDRIVE_INTERVAL_S, periodic_pass(ERASURE_OUTBOX))
    ]
