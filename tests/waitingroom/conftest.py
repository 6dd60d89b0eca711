"""Waiting-room fixtures: the service on the real stores, and helpers to build queues."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.proof_of_work import solve
from ticketsafe.waitingroom.schemas import JoinIn, QueueConfig, QueueStatus
from ticketsafe.waitingroom.service import WaitingRoom

_ids = itertools.count()

ORGANIZER = Principal("usr_org", org_ids=("org_1",))  # member of every test queue's org


@pytest.fixture
def room(resources: Resources) -> WaitingRoom:
    return WaitingRoom.from_resources(resources)


@pytest.fixture
def admissions(resources: Resources) -> Admissions:
    return Admissions(resources.db, resources.redis)


MakeConfig = Callable[..., QueueConfig]


@pytest.fixture
def make_config() -> MakeConfig:
    def make(on_sale_in_s: float = -1.0, **overrides: Any) -> QueueConfig:
        fields: dict[str, Any] = {
            "event_id": f"e{next(_ids)}x{time.time_ns() % 1_000_000}",
            "org_id": "org_1",
            "on_sale_at": datetime.now(UTC) + timedelta(seconds=on_sale_in_s),
            "pow_difficulty": 0,
            "rate_per_minute": 60_000,
        }
        fields.update(overrides)
        return QueueConfig(**fields)

    return make


async def join(room: WaitingRoom, event_id: str, user_id: str) -> QueueStatus:
    """A buyer's join through the service, with a fresh solved challenge."""
    principal = Principal(user_id)
    challenge = await room.issue_challenge(event_id, principal, "127.0.0.1")
    solution = solve(challenge.challenge, challenge.difficulty)
    return await room.join(
        event_id, principal, JoinIn(challenge=challenge.challenge, solution=solution)
    )


async def join_direct(room: WaitingRoom, event_id: str, user_id: str, bits: int = 0) -> QueueStatus:
    """Join bypassing the challenge rate limit (a fresh challenge minted by the server key)."""
    challenge = room.pow.issue(event_id, user_id, bits)
    body = JoinIn(challenge=challenge, solution=solve(challenge, bits))
    return await room.join(event_id, Principal(user_id), body)


async def queue_of(
    room: WaitingRoom, make_config: MakeConfig, people: int, **config: Any
) -> tuple[str, list[QueueStatus]]:
    """A queue after on-sale with `people` joined in order (usr_0 at the front)."""
    cfg = make_config(**config)
    await room.configure_queue(cfg)
    joined = [await join_direct(room, cfg.event_id, f"usr_{i}") for i in range(people)]
    return cfg.event_id, joined


async def wait_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds() + 0.05))


def auth(app: FastAPI, user_id: str) -> dict[str, str]:
    token = app.state.services.token_codec.issue(Principal(user_id))
    return {"Authorization": f"Bearer {token}"}


async def http_join(
    client: httpx.AsyncClient, app: FastAPI, event_id: str, user: str
) -> httpx.Response:
    headers = auth(app, user)
    r = await client.post(f"/waitingroom/events/{event_id}/challenge", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    solution = solve(body["challenge"], body["difficulty"])
    return await client.post(
        f"/waitingroom/events/{event_id}/join",
        headers=headers,
        json={"challenge": body["challenge"], "solution": solution},
    )


async def zmembers(redis: Any, key: str) -> list[str]:
    """Members of a sorted set, head first (typed for the tests)."""
    raw: list[bytes] = await redis.zrange(key, 0, -1)
    return [m.decode() for m in raw]


async def zscores(redis: Any, key: str) -> dict[str, float]:
    raw: list[tuple[bytes, float]] = await redis.zrange(key, 0, -1, withscores=True)
    return {m.decode(): float(s) for m, s in raw}


async def start_sale(room: WaitingRoom, config: QueueConfig) -> QueueConfig:
    """Move on-sale to now (allowed before the draw), so a slow machine cannot turn a
    pre-queue scenario into a post-on-sale one."""
    now = config.model_copy(update={"on_sale_at": datetime.now(UTC) - timedelta(milliseconds=5)})
    await room.configure_queue(now)
    return now
