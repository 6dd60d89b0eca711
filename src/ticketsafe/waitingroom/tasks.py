"""The waiting room's periodic work: draws at on-sale, grace-period sweeps, admissions.

`admission_tick` runs under a lease (one worker instance at a time, see
`ticketsafe.roles.worker`), and every step inside it is one atomic Lua script, so even two
overlapping ticks (a stalled lease holder) cannot admit anyone twice or skip anyone.
"""

from __future__ import annotations

from ticketsafe.infra.jobs import JobContext
from ticketsafe.roles.worker import PeriodicTask
from ticketsafe.waitingroom.admission import Admissions

TICK_INTERVAL_S = 1.0


async def admission_tick(ctx: JobContext) -> None:
    await Admissions(ctx.db, ctx.redis).tick()


def periodic_tasks() -> list[PeriodicTask]:
    return [PeriodicTask("waitingroom.admission", TICK_INTERVAL_S, admission_tick)]
