"""Every Redis key of one event hashes to one Redis Cluster slot, whichever domain built
it: the inventory engine, the waiting room, the public catalogue cache, live seat
updates, a gate device's scan counter. Checked on the key builders, and on a real 3-node
cluster after a sale's Redis work: every key stored for the event is on one slot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from tests.inventory.conftest import seated_layout
from tests.waitingroom.conftest import join_direct
from ticketsafe.catalog.events import listing_cache
from ticketsafe.infra.hash_tags import event_prefix, event_tag
from ticketsafe.infra.live_publish import seats_channel, seats_sequence
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.engine import EventKeys
from ticketsafe.inventory.models import HoldOnce
from ticketsafe.inventory.service import InventoryService
from ticketsafe.schema import MIGRATIONS
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.schemas import QueueConfig
from ticketsafe.waitingroom.service import WaitingRoom


def _slot(key: str) -> int:
    return int(key_slot(key.encode()))


async def _domain_keys(resources: Resources, event_id: str) -> list[str]:
    """The keys each domain's key builder gives for the event."""
    inventory = EventKeys(event_id)
    room = QueueKeys(event_id)
    return [
        *inventory.all(),
        inventory.idempotency_record("rec"),
        room.cfg, room.pre, room.queue, room.seen, room.admitted, room.active, room.seq,
        room.stats, room.done, room.draw, room.channel, room.pow_nonce("n"),
        await listing_cache.event_key(resources.redis, event_id),
        await listing_cache.seat_map_key(resources.redis, event_id),
        seats_channel(event_id), seats_sequence(event_id),
    ]  # fmt: skip


@pytest.mark.parametrize("event_id", ["evt_3f9a1c2b7d4e5f60", "3f9a1c2b7d4e5f60"])
async def test_every_domain_builds_the_event_keys_on_one_slot(
    resources: Resources, event_id: str
) -> None:
    keys = await _domain_keys(resources, event_id)
    assert all(k.startswith(event_prefix(event_id) + ":") for k in keys)
    assert {_slot(k) for k in keys} == {_slot(event_tag(event_id))}
    # with or without its `evt_` prefix, an id names the same tag
    assert event_tag("evt_3f9a1c2b7d4e5f60") == event_tag("3f9a1c2b7d4e5f60")


async def test_a_sale_leaves_every_key_of_its_event_on_one_slot(
    cluster_resources: Resources,
) -> None:
    redis = cluster_resources.redis
    assert isinstance(redis, RedisCluster)
    event_id = "evt_5a17e0c9d2b84f31"
    await migrate(cluster_resources.db, MIGRATIONS)
    inventory = InventoryService(cluster_resources.db, redis)
    await inventory.provision_event(seated_layout(event_id, areas={"floor": 10}))
    room = WaitingRoom.from_resources(cluster_resources)
    config = QueueConfig(
        event_id=event_id, org_id="org_1", on_sale_at=datetime.now(UTC), pow_difficulty=0,
        rate_per_minute=60_000,
    )  # fmt: skip
    await room.configure_queue(config)
    for user in ("usr_a", "usr_b"):
        await join_direct(room, event_id, user)
    await Admissions(cluster_resources.db, redis).tick()
    hold = await inventory.hold_best(
        event_id, "usr_a", "A", 2, once=HoldOnce(record_id="rec-a", fingerprint="fp")
    )
    await inventory.commit_sale(hold.hold_id, "ord_a", "usr_a")
    await room.record_checkout_completed(event_id, "usr_a")
    await inventory.hold_ga(event_id, "usr_b", "floor", 2)
    await redis.set(await listing_cache.event_key(redis, event_id), b"{}")
    await redis.incr(seats_sequence(event_id))

    stored: set[str] = set()
    for node in redis.get_primaries():
        found = await redis.execute_command("KEYS", f"*{event_id}*", target_nodes=node)
        stored |= {k.decode() for k in found}
    assert any(":wr:" in k for k in stored)  # the waiting room's keys ...
    assert f"{event_prefix(event_id)}:meta" in stored  # ... and the inventory's
    assert all(k.startswith(event_prefix(event_id) + ":") for k in stored), stored
    assert {_slot(k) for k in stored} == {_slot(event_tag(event_id))}
