"""The auto-pipelining Redis client on a real Valkey: every caller gets its own reply or
error, batches really form, and blocking or connection-bound commands stay out of them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.exceptions import ResponseError

from ticketsafe.infra.redisdb import AutoPipelinedRedis
from ticketsafe.infra.resources import Resources


def _client(resources: Resources) -> AutoPipelinedRedis:
    assert isinstance(resources.redis, AutoPipelinedRedis)
    return resources.redis


async def test_concurrent_callers_get_their_own_replies(resources: Resources) -> None:
    redis = _client(resources)
    await redis.delete("ap:list")
    results = await asyncio.gather(*(redis.rpush("ap:list", i) for i in range(300)))
    assert sorted(results) == list(range(1, 301))  # each push saw its own length
    values = await asyncio.gather(*(redis.set(f"ap:k{i}", i) for i in range(300)))
    assert values == [True] * 300
    got = await asyncio.gather(*(redis.get(f"ap:k{i}") for i in range(300)))
    assert got == [str(i).encode() for i in range(300)]


async def test_an_error_reaches_only_its_caller(resources: Resources) -> None:
    redis = _client(resources)
    await redis.set("ap:str", "text")
    ok, bad, ok2 = await asyncio.gather(
        redis.incr("ap:n"), redis.incr("ap:str"), redis.get("ap:str"), return_exceptions=True
    )
    assert isinstance(bad, ResponseError)
    assert ok == 1
    assert ok2 == b"text"


async def test_same_turn_commands_share_one_pipeline(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = _client(resources)
    batches: list[int] = []
    flush = AutoPipelinedRedis._flush

    async def counting(self: AutoPipelinedRedis, batch: list[Any]) -> None:
        batches.append(len(batch))
        await flush(self, batch)

    monkeypatch.setattr(AutoPipelinedRedis, "_flush", counting)
    await asyncio.gather(*(redis.incr("ap:c") for _ in range(1200)))
    assert await redis.get("ap:c") == b"1200"
    assert batches[:3] == [512, 512, 176]  # capped batches, not 1,200 round trips
    await redis.ping()
    assert batches[-1] == 1  # alone in its turn: a plain call


async def test_blocking_commands_do_not_hold_up_a_batch(resources: Resources) -> None:
    redis = _client(resources)
    await redis.delete("ap:queue")

    async def pop() -> Any:
        return await redis.blpop(["ap:queue"], timeout=5)

    waiter = asyncio.create_task(pop())
    await asyncio.sleep(0.05)
    # Sent while BLPOP blocks: answered at once, not after it.
    assert await asyncio.wait_for(redis.lpush("ap:queue", "x"), 1) == 1
    assert await asyncio.wait_for(waiter, 2) == (b"ap:queue", b"x")


async def test_scripts_reload_after_a_script_flush(resources: Resources) -> None:
    redis = _client(resources)
    script = redis.register_script("return ARGV[1] .. KEYS[1]")
    assert await script(keys=["k"], args=["v"]) == b"vk"
    await redis.script_flush()
    replies = await asyncio.gather(*(script(keys=["k"], args=[str(i)]) for i in range(50)))
    assert replies == [f"{i}k".encode() for i in range(50)]
