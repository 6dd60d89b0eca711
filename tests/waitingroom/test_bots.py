from __future__ import annotations

import asyncio
import random

import httpx
from fastapi import FastAPI
from scipy import stats

from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import ORGANIZER, MakeConfig, auth, join_direct, start_sale, zmembers


async def test_bot_with_100_accounts_gets_one_place_each_and_no_better_positions(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig
) -> None:
    """The bot solves a fresh challenge for every attempt (the rate limit on challenges is
    bypassed here on purpose) and fires 10 parallel joins per account, early in the
    pre-queue and again after on-sale: still one place per account, drawn at random."""
    config = make_config(on_sale_in_s=600)
    await room.configure_queue(config)
    ev = config.event_id
    bots = [f"bot_{i}" for i in range(100)]
    humans = [f"usr_{i}" for i in range(400)]
    attempts = [join_direct(room, ev, b) for b in bots for _ in range(10)]
    random.shuffle(attempts)
    for i in range(0, len(attempts), 250):  # (the Redis pool allows 512 connections)
        await asyncio.gather(*attempts[i : i + 250])  # the bot arrives first
    for human in humans:
        await join_direct(room, ev, human)
    await start_sale(room, config)
    await asyncio.gather(*(join_direct(room, ev, b) for b in bots for _ in range(3)))
    await admissions.draw(ev)
    users = await zmembers(admissions.store.redis, f"ts:{{evt_{ev}}}:wr:q")
    assert len(users) == len(set(users)) == 500
    assert sum(u.startswith("bot_") for u in users) == 100
    bot_places = [i for i, u in enumerate(users) if u.startswith("bot_")]
    human_places = [i for i, u in enumerate(users) if u.startswith("usr_")]
    # No better than chance: the bot's places are not shifted towards the head.
    p = stats.mannwhitneyu(bot_places, human_places, alternative="less").pvalue
    assert p > 0.001  # a false alarm once in 1,000 runs; a biased draw fails at once


async def test_parallel_connections_of_one_account_are_throttled_and_share_one_place(
    client: httpx.AsyncClient, app: FastAPI, make_config: MakeConfig
) -> None:
    room = WaitingRoom.from_resources(app.state.resources)
    config = make_config()
    await room.configure_queue(config)
    url = f"/waitingroom/events/{config.event_id}/challenge"
    headers = auth(app, "bot_1")
    replies = await asyncio.gather(*(client.post(url, headers=headers) for _ in range(30)))
    codes = [r.status_code for r in replies]
    assert codes.count(200) <= 4  # the per-account burst
    assert codes.count(429) >= 26
    assert all(r.headers.get("Retry-After") for r in replies if r.status_code == 429)
    assert (await room.stats(config.event_id, ORGANIZER)).queue_length == 0
