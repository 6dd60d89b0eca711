"""The stores on a real 3-node Redis Cluster (`TICKETSAFE_REDIS_CLUSTER=true`): the
auto-pipelined cluster client, every Lua script of the hot paths (inventory hold /
release / commit, waiting-room join / draw / admit, rate limits, leases, the job queue's
promoter), MULTI/EXEC, streams with a consumer group, idempotency records and live
pub/sub, each on keys the cluster spreads over its nodes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from tests.inventory.conftest import seated_layout
from tests.waitingroom.conftest import join_direct
from ticketsafe.app import create_app
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.errors import RateLimited
from ticketsafe.infra.jobs import DEAD, JobQueue
from ticketsafe.infra.leases import Lease
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.live_publish import publish_to_user, seats_channel, user_stream
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.ratelimit import Rate, RateLimiter
from ticketsafe.infra.redisdb import AutoPipelinedRedisCluster
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.errors import HoldExpired, SeatsTaken
from ticketsafe.inventory.models import HoldOnce, UnitStatus
from ticketsafe.inventory.service import InventoryService
from ticketsafe.schema import MIGRATIONS
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.schemas import PlaceState, QueueConfig
from ticketsafe.waitingroom.service import WaitingRoom


def _cluster(resources: Resources) -> AutoPipelinedRedisCluster:
    assert isinstance(resources.redis, AutoPipelinedRedisCluster)
    return resources.redis


def _node_of(redis: RedisCluster, key: str) -> str:
    node = redis.get_node_from_key(key)
    assert node is not None
    return str(node.name)


async def test_callers_on_every_node_get_their_own_replies(cluster_resources: Resources) -> None:
    redis = _cluster(cluster_resources)
    keys = [f"cl:k{i}" for i in range(300)]
    assert len({_node_of(redis, k) for k in keys}) == 3  # the batch spans every node
    assert await asyncio.gather(*(redis.set(k, i) for i, k in enumerate(keys))) == [True] * 300
    got = await asyncio.gather(*(redis.get(k) for k in keys))
    assert got == [str(i).encode() for i in range(300)]
    await redis.set("cl:text", "x")
    ok, bad = await asyncio.gather(
        redis.incr("cl:n"), redis.incr("cl:text"), return_exceptions=True
    )
    assert ok == 1
    assert isinstance(bad, ResponseError)  # only its caller sees the error
    assert await redis.delete(*keys) == 300  # one DEL per slot, not CROSSSLOT


async def test_inventory_hold_release_commit(cluster_resources: Resources) -> None:
    await migrate(cluster_resources.db, MIGRATIONS)
    inventory = InventoryService(cluster_resources.db, cluster_resources.redis)
    await inventory.provision_event(seated_layout(areas={"floor": 5}))
    hold = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1", "A-1-2"])
    with pytest.raises(SeatsTaken):
        await inventory.hold_seats("evt_1", "usr_b", ["A-1-2"])
    await inventory.release_hold(hold.hold_id, "usr_a")
    once = HoldOnce(record_id="rec-1", fingerprint="fp-1")
    first, again = await asyncio.gather(
        inventory.hold_best("evt_1", "usr_b", "A", 2, once=once),
        inventory.hold_best("evt_1", "usr_b", "A", 2, once=once),
    )
    assert first.hold_id == again.hold_id  # the idempotency record shares the event's slot
    ga = await inventory.hold_ga("evt_1", "usr_c", "floor", 5)
    sale = await inventory.commit_sale(first.hold_id, "ord_1", "usr_b")
    assert len(sale.seats) == 2
    with pytest.raises(HoldExpired):
        await inventory.commit_sale(first.hold_id, "ord_other", "usr_b")
    availability = await inventory.availability("evt_1")
    assert {availability.seats[s] for s in sale.seats} == {UnitStatus.SOLD}
    assert ga.ga == {"floor": 5}
    assert availability.ga["floor"].available == 0


async def test_waiting_room_join_draw_admit(cluster_resources: Resources) -> None:
    room = WaitingRoom.from_resources(cluster_resources)
    admissions = Admissions(cluster_resources.db, cluster_resources.redis)
    config = QueueConfig(
        event_id="evt_cluster", org_id="org_1",
        on_sale_at=datetime.now(UTC),
        pow_difficulty=0, rate_per_minute=60_000,
    )  # fmt: skip
    await room.configure_queue(config)  # MULTI on the event's keys, then the index
    assert await room.queue_active("evt_cluster")
    for user in ("usr_a", "usr_b", "usr_c"):
        await join_direct(room, "evt_cluster", user)
    await admissions.tick()
    for user in ("usr_a", "usr_b", "usr_c"):
        status = await room.status("evt_cluster", Principal(user))
        assert status.state is PlaceState.ADMITTED
        await room.require_admission("evt_cluster", Principal(user), status.admission_token)
    await room.record_checkout_completed("evt_cluster", "usr_a")


async def test_rate_limits_and_leases(cluster_resources: Resources) -> None:
    limiter = RateLimiter(cluster_resources.redis)
    rate = Rate(count=3, period_s=60, burst=3)
    for _ in range(3):
        await limiter.hit("login:ip:127.0.0.1", rate)
    with pytest.raises(RateLimited):
        await limiter.hit("login:ip:127.0.0.1", rate)
    await limiter.forget("login:ip:127.0.0.1", "join:acct:1", "join:acct:2")  # 3 slots
    await limiter.hit("login:ip:127.0.0.1", rate)
    one, other = (Lease(cluster_resources.redis, "periodic:x", 5_000) for _ in range(2))
    assert await one.held()
    assert not await other.held()
    assert await one.renew()
    assert await one.release()
    assert await other.held()


async def test_job_queue_streams_and_group(cluster_resources: Resources) -> None:
    queue = JobQueue(cluster_resources.redis, max_deliveries=1)
    await queue.ensure_group()
    await queue.enqueue("mail.send", {"id": "m1"})
    await queue.enqueue("payment.changed", {"id": "p1"}, urgent=True)
    await queue.enqueue("later", {"id": "l1"}, delay_s=0.01)
    await asyncio.sleep(0.02)
    assert await queue.promote_due() == 1  # the promoter's Lua on the {jobs} slot
    jobs = await queue.read("c1", 10, block_ms=100)
    assert [j.name for j in jobs] == ["payment.changed", "mail.send", "later"]
    for job in jobs[:2]:
        await queue.ack(job)  # XACK + XDEL in one MULTI
    await queue.fail(jobs[2], "boom")
    assert await queue.outstanding() == 0
    assert [j.name for j, _ in await queue.dead_letters()] == ["later"]
    assert await cluster_resources.redis.xlen(DEAD) == 1
    waited = await queue.read("c1", 1, block_ms=50)  # a blocking XREADGROUP, nothing due
    assert waited == []


async def test_live_publish_reaches_a_subscriber_on_any_node(
    cluster_resources: Resources,
) -> None:
    redis = _cluster(cluster_resources)
    seats, user = seats_channel("evt_live"), user_stream("usr_live")
    assert _node_of(redis, seats) != _node_of(redis, user)  # published on other nodes
    hub = Hub(redis)
    async with hub.listen(seats) as seat_wake, hub.listen(user) as user_wake:
        await asyncio.sleep(0.1)  # the subscriptions are live
        await publish_to_user(redis, "usr_live", "order", {"order_id": "ord_1"})
        await redis.publish(seats, b"{}")
        await asyncio.wait_for(asyncio.gather(seat_wake.wait(), user_wake.wait()), 5)
    entries: Any = await redis.xrange(user)
    assert len(entries) == 1  # the user's stream, for a reconnect with Last-Event-ID


@pytest.fixture
async def cluster_app(
    cluster_settings: Settings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(cluster_settings)
    counter = itertools.count(1)

    @app.post("/_test/buy", status_code=201)
    async def buy() -> dict[str, int]:
        return {"order": next(counter)}

    async with app.router.lifespan_context(app):
        await app.state.resources.redis.flushall()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c
        await app.state.resources.redis.flushall()
        await app.state.resources.mongo.drop_database(cluster_settings.mongo_database)


async def test_idempotency_and_readiness_through_the_app(
    cluster_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = cluster_app
    assert (await client.get("/readyz")).status_code == 200
    key = {"idempotency-key": "k-cluster"}
    first, again = [await client.post("/_test/buy", headers=key) for _ in range(2)]
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"order": 1}
    assert again.headers["idempotent-replayed"] == "true"
