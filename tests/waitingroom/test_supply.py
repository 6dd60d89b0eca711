"""The sold-out pause: the admission tick asks what is left of the event (the inventory's
answer, passed in by the composition root) and admits nobody while nothing is."""

from __future__ import annotations

import pytest

from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.resources import Resources
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.schemas import AdmissionMode, PlaceState, Supply
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import MakeConfig, join_direct

ORGANIZER = Principal("usr_org", frozenset({Role.ORGANIZER}), ("org_1",))


class Shelf:
    """What the inventory would answer, set by the test."""

    def __init__(self) -> None:
        self.supply = Supply.AVAILABLE
        self.asked: list[str] = []

    async def __call__(self, event_id: str) -> Supply:
        self.asked.append(event_id)
        return self.supply


async def test_nothing_left_pauses_admission_and_tells_the_line(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    shelf = Shelf()
    admissions = Admissions(resources.db, resources.redis, shelf)
    config = make_config(mode=AdmissionMode.AUTO, target_active=2)
    await room.configure_queue(config)
    ev = config.event_id
    for i in range(105):
        await join_direct(room, ev, f"usr_{i}")
    await admissions.tick()
    assert shelf.asked == [ev]
    assert (await room.stats(ev, ORGANIZER)).admitted == 2

    # Every unit held: nobody else gets in although two shoppers' places came free.
    shelf.supply = Supply.ALL_HELD
    await room.record_shopper_left(ev, "usr_0")
    await room.record_checkout_completed(ev, "usr_1")
    await admissions.tick()
    stats = await room.stats(ev, ORGANIZER)
    assert (stats.admitted, stats.supply) == (2, Supply.ALL_HELD)
    front = await room.status(ev, Principal("usr_2"))
    assert (front.state, front.supply) == (PlaceState.QUEUED, Supply.ALL_HELD)
    # The front keeps asking every 2 s (a hold may expire), the rest at the longest
    # interval (a third of the 5-minute admission token); no wait can be estimated.
    assert (front.poll_after_s, front.estimated_wait_s) == (2.0, None)
    back = await room.status(ev, Principal("usr_104"))
    assert (back.poll_after_s, back.estimated_wait_s) == (100.0, None)

    # A hold expired: the line moves again.
    shelf.supply = Supply.AVAILABLE
    await admissions.tick()
    stats = await room.stats(ev, ORGANIZER)
    assert (stats.admitted, stats.supply) == (4, Supply.AVAILABLE)
    assert (await room.status(ev, Principal("usr_2"))).state is PlaceState.ADMITTED

    # Sold out: everyone still in line hears it and asks rarely; nobody is admitted.
    shelf.supply = Supply.SOLD_OUT
    await room.record_checkout_completed(ev, "usr_2")
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted == 4
    front = await room.status(ev, Principal("usr_4"))
    assert (front.state, front.supply, front.poll_after_s) == (
        PlaceState.QUEUED, Supply.SOLD_OUT, 100.0,
    )  # fmt: skip
    # Told to come back in 100 s, the line keeps its places past the 2-minute grace.
    seen = await resources.redis.zscore(QueueKeys(ev).seen, "usr_104")
    assert seen is not None


async def test_a_paused_fixed_rate_does_not_save_up_admissions(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    shelf = Shelf()
    admissions = Admissions(resources.db, resources.redis, shelf)
    config = make_config(rate_per_minute=60)  # one a second, at most 5 at once
    await room.configure_queue(config)
    ev = config.event_id
    for i in range(20):
        await join_direct(room, ev, f"usr_{i}")
    shelf.supply = Supply.ALL_HELD
    await admissions.tick()
    await resources.redis.hset(QueueKeys(ev).stats, "last_tick", 0)  # "long" paused
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted == 0
    shelf.supply = Supply.AVAILABLE
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted <= 1


@pytest.mark.parametrize("stored", [None, "", "all_held", "sold_out"])
def test_supply_field_round_trip(stored: str | None) -> None:
    supply = Supply.of(stored)
    assert Supply.of(supply.stored) is supply
