"""The waiting room's periodic work: draws at on-sale, grace-period sweeps, the sold-out
pause, admissions.

`admission_tick` runs under a lease (one worker instance at a time, see
`ticketsafe.roles.worker`), and every step inside it is one atomic Lua script, so even two
overlapping ticks (a stalled lease holder) cannot admit anyone twice or skip anyone.
"""

from __future__ import annotations

from collections.abc import Callable

from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.waitingroom.admission import Admissions, SupplyProbe

TICK_INTERVAL_S = 1.0


def periodic_tasks(
    supply: Callable[[JobContext], SupplyProbe] | None = None,
) -> list[PeriodicTask]:
    """`supply` builds, per tick, the probe of what is left of an event (the inventory's
    answer); without it admission never pauses for a sold-out event."""

    async def admission_tick(ctx: JobContext) -> None:
        await Admissions(ctx.db, ctx.redis, supply(ctx) if supply else None).tick()

    return [PeriodicTask("waitingroom.admission", TICK_INTERVAL_S, admission_tick)]
