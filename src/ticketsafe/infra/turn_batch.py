"""Gathering the work of one event-loop turn into batches (the auto-pipelined Redis
client and group-committed MongoDB inserts both do this).

Every item submitted while the loop runs its current callbacks is handed to `flush`
at the next iteration, in groups whose total `weight` stays within `max_weight` (one
item heavier than that goes alone). An item alone in its turn is flushed at once, so a
quiet process pays nothing for the batching. Each group is flushed by its own task;
`flush` must settle every item it gets (items carry their own futures).

With `max_in_flight=k` the batcher also coalesces across turns, as a database's group
commit does: at most k flushes run at once, and everything submitted while k are in
flight waits and goes out together (still split by `max_weight`) as soon as one of them
completes, however it ended. One turn rarely holds more than a few items; a server that
pays per command (the embedded MongoDB-wire server: ~500 µs of CPU and a durable commit
per `insert_many`, ~50-140 µs per extra document) is better served by a few large
flushes than by many small concurrent ones. An idle batcher still flushes at the next
iteration. `max_in_flight=None` (the Redis client) starts every turn's groups at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def fail_waiting(futures: Iterable[asyncio.Future[Any]], error: BaseException) -> None:
    """Settle a flushed group that failed as a whole: every caller still waiting gets
    `error` (a cancelled caller's future is already done and is skipped)."""
    for future in futures:
        if not future.done():
            future.set_exception(error)


class TurnBatch(Generic[T]):
    def __init__(
        self,
        flush: Callable[[list[T]], Coroutine[Any, Any, None]],
        *,
        max_weight: int,
        weight: Callable[[T], int] = lambda _: 1,
        max_in_flight: int | None = None,
    ) -> None:
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1 (or None: no limit)")
        self._flush = flush
        self._max_weight = max_weight
        self._weight = weight
        self._max_in_flight = max_in_flight
        self._in_flight = 0
        self._pending: list[T] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, item: T) -> None:
        self._pending.append(item)
        if not self._scheduled and not self._full():
            # When full, the next flush to complete takes this item along.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_turn)

    def _full(self) -> bool:
        return self._max_in_flight is not None and self._in_flight >= self._max_in_flight

    def _flush_turn(self) -> None:
        self._scheduled = False
        self._start_pending()

    def _start_pending(self) -> None:
        """Start groups from the front of the pending items while a flush may start."""
        loop = asyncio.get_running_loop()
        while self._pending and not self._full():
            size = 0
            end = 0
            for item in self._pending:
                weight = self._weight(item)
                if end and size + weight > self._max_weight:
                    break
                size += weight
                end += 1
            group, self._pending = self._pending[:end], self._pending[end:]
            self._start(loop, group)

    def _start(self, loop: asyncio.AbstractEventLoop, group: list[T]) -> None:
        if self._max_in_flight is None:
            task = loop.create_task(self._flush(group))
        else:
            self._in_flight += 1
            task = loop.create_task(self._run(group))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _run(self, group: list[T]) -> None:
        try:
            await self._flush(group)
        finally:  # even if `flush` raised: the items waiting behind it must not stall
            self._in_flight -= 1
            self._start_pending()
