"""The inventory's background work: the expiry sweep (a periodic task under a lease)."""

from __future__ import annotations

import logging

from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.inventory.live import holds_expired
from ticketsafe.inventory.service import InventoryService

log = logging.getLogger("ticketsafe.inventory")


def periodic_tasks(inventory: InventoryService, interval_s: float = 5.0) -> list[PeriodicTask]:
    """The sweep over the process's one inventory service (its commit grace is the
    configured one: the API's and the worker's are the same object's)."""

    async def sweep_expired_holds(ctx: JobContext) -> None:
        """Release expired holds, reconcile stuck commits. Idempotent: a second worker (or
        a worker killed mid-sweep and restarted) only finds less to do."""
        report = await inventory.sweep()
        await holds_expired(ctx.redis, report)  # buyers' `me` channels (errors only logged)
        if report.released or report.reconciled:
            log.info(
                "inventory sweep",
                extra={"released": report.released, "reconciled": report.reconciled},
            )

    return [PeriodicTask("inventory.sweep", interval_s, sweep_expired_holds)]
