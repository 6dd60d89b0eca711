"""The turn batcher on its own (no store: `flush` is a recorder the test controls).
Without a limit every turn's groups start at once; with `max_in_flight` what arrives
while the limit is reached waits and goes out together when a flush completes."""

from __future__ import annotations

import asyncio
import gc

import pytest

from tests.polling import eventually
from ticketsafe.infra.turn_batch import TurnBatch


class Recorder:
    """A `flush` that records its groups and holds each until the test releases it."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.groups: list[list[int]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail_first = fail_first
        self.gates: list[asyncio.Event] = []

    async def __call__(self, group: list[int]) -> None:
        self.groups.append(group)
        gate = asyncio.Event()
        self.gates.append(gate)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await gate.wait()
            if self.fail_first and len(self.groups) == 1:
                raise RuntimeError("flush bug")
        finally:
            self.in_flight -= 1

    def release(self, index: int) -> None:
        self.gates[index].set()

    def release_all(self) -> None:
        for gate in self.gates:
            gate.set()


async def turns(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_without_a_limit_every_turn_flushes_at_once() -> None:
    flush = Recorder()
    batch: TurnBatch[int] = TurnBatch(flush, max_weight=10)
    for item in range(4):
        batch.submit(item)
        await turns()  # each item in a turn of its own
    assert flush.groups == [[0], [1], [2], [3]]
    assert flush.in_flight == 4  # none waited for another
    flush.release_all()
    await turns()


async def test_items_arriving_at_the_limit_are_coalesced_into_one_flush() -> None:
    flush = Recorder()
    batch: TurnBatch[int] = TurnBatch(flush, max_weight=100, max_in_flight=2)
    batch.submit(0)
    await turns()
    batch.submit(1)
    await turns()
    assert flush.groups == [[0], [1]]  # below the limit: each at once
    for item in range(2, 12):
        batch.submit(item)
        await turns()
    assert flush.groups == [[0], [1]]  # at the limit: the rest waits
    flush.release(0)
    await eventually(lambda: len(flush.groups) == 3)
    assert flush.groups[2] == list(range(2, 12))  # one flush for ten turns' items
    flush.release_all()
    await eventually(lambda: flush.in_flight == 0)
    assert flush.most_in_flight == 2
    assert len(flush.groups) == 3


async def test_coalesced_items_are_still_split_by_weight() -> None:
    flush = Recorder()
    batch: TurnBatch[int] = TurnBatch(flush, max_weight=3, max_in_flight=1)
    batch.submit(0)
    await turns()
    for item in range(1, 8):
        batch.submit(item)
        await turns()
    flush.release(0)
    await eventually(lambda: len(flush.groups) == 2)
    await turns()
    assert flush.groups == [[0], [1, 2, 3]]  # the limit holds the rest back
    flush.release(1)
    await eventually(lambda: len(flush.groups) == 3)
    flush.release(2)
    await eventually(lambda: len(flush.groups) == 4)
    flush.release(3)
    await turns()
    assert flush.groups == [[0], [1, 2, 3], [4, 5, 6], [7]]
    assert flush.most_in_flight == 1


async def test_an_idle_batcher_flushes_at_once() -> None:
    flush = Recorder()
    batch: TurnBatch[int] = TurnBatch(flush, max_weight=100, max_in_flight=1)
    batch.submit(0)
    await turns()
    assert flush.groups == [[0]]  # the next loop iteration, not after a timer
    flush.release(0)
    await eventually(lambda: flush.in_flight == 0)
    batch.submit(1)  # idle again after a busy spell: no waiting either
    await turns()
    assert flush.groups == [[0], [1]]
    flush.release_all()
    await turns()


async def test_a_failing_flush_does_not_strand_the_items_behind_it() -> None:
    flush = Recorder(fail_first=True)
    loop = asyncio.get_running_loop()
    reported: list[BaseException | None] = []
    loop.set_exception_handler(lambda _, context: reported.append(context.get("exception")))
    try:
        batch: TurnBatch[int] = TurnBatch(flush, max_weight=100, max_in_flight=1)
        batch.submit(0)
        await turns()
        for item in (1, 2):
            batch.submit(item)
            await turns()
        flush.release(0)  # the first flush raises
        await eventually(lambda: len(flush.groups) == 2)
        assert flush.groups == [[0], [1, 2]]
        flush.release(1)
        await eventually(lambda: flush.in_flight == 0)
        batch.submit(3)  # and the slot it held is free again
        await turns()
        assert flush.groups[2:] == [[3]]
        flush.release_all()
        await turns()
        gc.collect()  # the failed task reports its exception when it is collected
        assert any(isinstance(e, RuntimeError) for e in reported)  # not swallowed
    finally:
        loop.set_exception_handler(None)


def test_the_limit_must_allow_a_flush() -> None:
    async def flush(group: list[int]) -> None:
        pass

    with pytest.raises(ValueError, match="max_in_flight"):
        TurnBatch(flush, max_weight=1, max_in_flight=0)
