"""Gathering the work of one event-loop turn into batches (the auto-pipelined Redis
client and group-committed MongoDB inserts both do this).

Every item submitted while the loop runs its current callbacks is handed to `flush`
at the next iteration, in groups whose total `weight` stays within `max_weight` (one
item heavier than that goes alone). An item alone in its turn is flushed at once, so a
quiet process pays nothing for the batching. Each group is flushed by its own task;
`flush` must settle every item it gets (items carry their own futures).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class TurnBatch(Generic[T]):
    def __init__(
        self,
        flush: Callable[[list[T]], Coroutine[Any, Any, None]],
        *,
        max_weight: int,
        weight: Callable[[T], int] = lambda _: 1,
    ) -> None:
        self._flush = flush
        self._max_weight = max_weight
        self._weight = weight
        self._pending: list[T] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, item: T) -> None:
        self._pending.append(item)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_turn)

    def _flush_turn(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        loop = asyncio.get_running_loop()
        group: list[T] = []
        size = 0
        for item in pending:
            weight = self._weight(item)
            if group and size + weight > self._max_weight:
                self._start(loop, group)
                group, size = [], 0
            group.append(item)
            size += weight
        if group:
            self._start(loop, group)

    def _start(self, loop: asyncio.AbstractEventLoop, group: list[T]) -> None:
        task = loop.create_task(self._flush(group))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)
