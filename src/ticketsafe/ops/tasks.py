"""The worker's metrics sampler: what only the stores know, read every
`metrics_sample_interval_s` under a lease (one worker reads; the others keep their last
reading, which the recording rules leave out once it is a minute old):

- the job queue's backlog: depth and oldest entry per lane, delayed and dead jobs;
- the oversell detector: units MongoDB holds as sold beyond each event's capacity. It
  must read 0 always; the alert `TicketSafeOversold` pages on anything else.
"""

from __future__ import annotations

import time

from ticketsafe.infra.job_metrics import record_backlog
from ticketsafe.infra.jobs import JobContext, JobQueue
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.inventory.metrics import OVERSELL_CHECKED, OVERSOLD_UNITS
from ticketsafe.inventory.service import InventoryService


async def sample_stores(queue: JobQueue, inventory: InventoryService) -> None:
    record_backlog(await queue.backlog())
    OVERSOLD_UNITS.set(await inventory.oversold_units())
    OVERSELL_CHECKED.set(time.time())


def periodic_tasks(inventory: InventoryService, interval_s: float) -> list[PeriodicTask]:
    async def sample(ctx: JobContext) -> None:
        await sample_stores(ctx.queue, inventory)

    return [PeriodicTask("ops.metrics_sample", interval_s, sample)]
