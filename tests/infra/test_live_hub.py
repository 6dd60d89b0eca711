from __future__ import annotations

import asyncio

from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.resources import Resources


async def test_publish_wakes_every_listener_of_the_channel_only(resources: Resources) -> None:
    hub = Hub(resources.redis)
    async with (
        hub.listen("ts:{evt_1}:wr:updates") as a,
        hub.listen("ts:{evt_1}:wr:updates") as b,
        hub.listen("ts:{evt_2}:wr:updates") as other,
    ):
        assert hub.channels == 2
        await asyncio.sleep(0.1)  # subscription is live before we publish
        await resources.redis.publish("ts:{evt_1}:wr:updates", b"admitted")
        await asyncio.wait_for(asyncio.gather(a.wait(), b.wait()), 5)
        assert not other.is_set()
    assert hub.channels == 0  # the reader task and the subscription are gone


async def test_listening_again_after_everyone_left_reconnects(resources: Resources) -> None:
    hub = Hub(resources.redis)
    async with hub.listen("c1"):
        pass
    async with hub.listen("c1") as wake:
        await asyncio.sleep(0.1)  # subscription is live before we publish
        await resources.redis.publish("c1", b"x")
        await asyncio.wait_for(wake.wait(), 5)
