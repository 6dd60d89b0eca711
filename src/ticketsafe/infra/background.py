"""Work a request starts and does not wait for (live publishes, marks): kept referenced
until done, failures logged, never raised into the request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger("ticketsafe.background")

_pending: set[asyncio.Task[None]] = set()


def run_soon(work: Awaitable[Any], what: str) -> None:
    async def quietly() -> None:
        try:
            await work
        except Exception:
            log.debug("%s failed", what, exc_info=True)

    task = asyncio.get_running_loop().create_task(quietly())
    _pending.add(task)
    task.add_done_callback(_pending.discard)
