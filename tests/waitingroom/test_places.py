"""Keeping a place (docs/waiting-room.md): nobody loses one for waiting before the sale
starts; after the draw a check-in (a poll or an open status stream) keeps it; an
admission that expired unused is said to be expired, without a token."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.resources import Resources
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.live import status_stream
from ticketsafe.waitingroom.schemas import PlaceState
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import ORGANIZER, MakeConfig, join_direct, start_sale


def _asked_back_first(n: int) -> list[str]:
    """Users whose spread after on-sale (scripts/_poll.lua) is under half a second: the
    draw asks them to check in within the 2-s minimum, so the test need not wait 20 s."""
    users = (f"usr_{i}" for i in itertools.count())
    early = (u for u in users if int(hashlib.sha1(u.encode()).hexdigest()[:6], 16) < 0x66666)
    return list(itertools.islice(early, n))


async def test_waiting_in_the_pre_queue_never_costs_the_place(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig, resources: Resources
) -> None:
    config = make_config(on_sale_in_s=600, grace_period=1, rate_per_minute=1)
    await room.configure_queue(config)
    ev = config.event_id
    for user in ("usr_a", "usr_b"):
        assert (await join_direct(room, ev, user)).state is PlaceState.PRE_QUEUE
    # usr_a was asked to look in again two minutes after joining, and did not: three
    # minutes later their check-in is long overdue (moved back here, not waited for).
    overdue = time.time() * 1000 - 60_000
    await resources.redis.zadd(QueueKeys(ev).seen, {"usr_a": overdue})
    assert await admissions.store.sweep(ev) == 0
    assert (await room.status(ev, Principal("usr_a"))).state is PlaceState.PRE_QUEUE
    assert (await room.stats(ev, ORGANIZER)).abandoned == 0
    await start_sale(room, config)
    await admissions.tick()  # the draw: both are in it (at 1 a minute, not yet admitted)
    positions = {(await room.status(ev, Principal(u))).position for u in ("usr_a", "usr_b")}
    assert positions == {1, 2}


async def test_after_the_draw_an_open_status_stream_keeps_the_place(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig, resources: Resources
) -> None:
    """Grace 1 s. Both were in the pre-queue; after the draw one keeps a status stream
    open and the other is gone: 4 s later (told to check in after 2 s, plus the grace)
    only the one streaming still has a place."""
    config = make_config(on_sale_in_s=600, grace_period=1, rate_per_minute=1)
    await room.configure_queue(config)
    ev = config.event_id
    streaming, gone = _asked_back_first(2)
    for user in (streaming, gone):
        await join_direct(room, ev, user)
    await start_sale(room, config)
    await admissions.tick()  # the draw (and at 1 a minute, nobody admitted yet)

    async def watch() -> list[str]:
        stream = status_stream(room, Hub(resources.redis), ev, Principal(streaming), max_s=4.0)
        return [chunk async for chunk in stream]

    chunks = await asyncio.wait_for(watch(), timeout=10)
    assert any("queued" in c for c in chunks)
    assert await admissions.store.sweep(ev) == 1
    assert (await room.status(ev, Principal(gone))).state is PlaceState.NOT_IN_QUEUE
    kept = await room.status(ev, Principal(streaming))
    assert (kept.state, kept.position) == (PlaceState.QUEUED, 1)


async def test_an_expired_admission_says_so_and_joining_again_queues_at_the_back(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig, resources: Resources
) -> None:
    config = make_config()  # on sale, 60,000 a minute, tokens live 5 minutes
    await room.configure_queue(config)
    ev = config.event_id
    await join_direct(room, ev, "usr_0")
    await admissions.tick()
    admitted = await room.status(ev, Principal("usr_0"))
    assert admitted.state is PlaceState.ADMITTED
    assert admitted.admission_token
    for user in ("usr_1", "usr_2"):
        await join_direct(room, ev, user)
    # Six minutes later (moved back here, not waited for) the token has expired unused.
    six_minutes_ago = int(time.time() * 1000) - 6 * 60_000
    await resources.redis.zadd(QueueKeys(ev).admitted, {"usr_0": six_minutes_ago})
    expired = await room.status(ev, Principal("usr_0"))
    assert expired.state is PlaceState.ADMISSION_EXPIRED
    assert expired.admission_token is None
    assert expired.admission_expires_at is not None
    assert expired.admission_expires_at.timestamp() < time.time()
    assert expired.next_step
    assert "join again" in expired.next_step
    again = await join_direct(room, ev, "usr_0")  # a new place, behind those who waited
    assert (again.state, again.position) == (PlaceState.QUEUED, 3)


async def test_admission_news_wakes_the_front_streams_not_the_back(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig, resources: Resources
) -> None:
    """An open stream checks in at the pace its status suggests; an admission step's
    message makes it re-read at once only near the front. Each re-read moves the
    person's check-in deadline (`seen`), which is what this watches."""
    config = make_config(rate_per_minute=1)  # nobody admitted while it runs
    await room.configure_queue(config)
    ev = config.event_id
    for i in range(150):
        await join_direct(room, ev, f"usr_{i}")
    await admissions.tick()
    hub = Hub(resources.redis)
    seen = QueueKeys(ev).seen

    async def deadline(user: str) -> float | None:
        return await resources.redis.zscore(seen, user)

    async def follow(user: str, first: asyncio.Event) -> None:
        async for chunk in status_stream(room, hub, ev, Principal(user), max_s=6.0):
            if chunk.startswith("event: status"):
                first.set()

    front_read, back_read = asyncio.Event(), asyncio.Event()
    streams = [
        asyncio.create_task(follow("usr_1", front_read)),
        asyncio.create_task(follow("usr_140", back_read)),
    ]
    try:
        await asyncio.wait_for(asyncio.gather(front_read.wait(), back_read.wait()), 10)
        back = await room.status(ev, Principal("usr_140"))
        assert back.poll_after_s > 10  # far back: told to check in rarely
        await asyncio.sleep(0.5)  # both streams are waiting now
        before = {u: await deadline(u) for u in ("usr_1", "usr_140")}
        await asyncio.sleep(0.01)  # a re-read now gives a later deadline
        await room.store.publish(ev, b'{"type": "admitted", "count": 1}')
        await asyncio.sleep(0.6)  # a woken stream re-reads within 0.35 s
        assert await deadline("usr_1") != before["usr_1"]
        assert await deadline("usr_140") == before["usr_140"]
    finally:
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
