"""The crowd's turns in one API process: a bounded line, and an early "come back later".

The waiting room's routes (challenge, join, status) are many times the shop's traffic.
The fast lane serves at most `concurrency` of them at once (the shop goes first, see
`infra.fastlane`); the others used to wait in a line with no end. After a restart in the
middle of a crowd every browser arrived at once: each request waited behind thousands,
the browsers timed out and asked again on new connections, and the process spent its
CPU on answers nobody read any more — goodput near zero, for minutes (2,000 buyers
retrying, 46 admitted in ten minutes).

The line is bounded two ways, each answered with a cheap 503 `service_busy` and a
`Retry-After` drawn at random (so the refused do not come back together):
- when `max_waiting` requests already wait, a new one is refused at once, before its
  body is read or its token checked;
- a request that waited more than `max_wait_s` for its turn (its browser is about to
  give up) is refused at its turn instead of being served late.
What is admitted is served well inside a browser's timeout, and the process stays busy
with answers someone is waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator

from ticketsafe.infra.errors import ServiceBusy


class CrowdOverloaded(ServiceBusy):
    """The crowd's line is full, or this request waited too long for its turn."""


class CrowdGate:
    def __init__(
        self,
        concurrency: int,
        *,
        max_waiting: int,
        max_wait_s: float,
        retry_after_max_s: int = 5,
    ) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.max_waiting = max_waiting
        self.max_wait_s = max_wait_s
        self.retry_after_max_s = max(1, retry_after_max_s)
        self.waiting = 0
        self.refused = 0  # requests answered 503 so far (line full or waited too long)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the `concurrency` turns for the block; raises `CrowdOverloaded`."""
        if self._slots.locked() and self.waiting >= self.max_waiting:
            raise self._refuse("too many requests are waiting; try again shortly")
        self.waiting += 1
        queued = time.monotonic()
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            if time.monotonic() - queued > self.max_wait_s:
                raise self._refuse("this request waited too long to be served; try again")
            yield
        finally:
            self._slots.release()

    def _refuse(self, detail: str) -> CrowdOverloaded:
        self.refused += 1
        # Whole seconds (all Retry-After allows), spread evenly over 1..max.
        return CrowdOverloaded(detail, retry_after=random.randint(1, self.retry_after_max_s))  # noqa: S311
