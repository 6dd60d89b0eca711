"""The sold-out pause: the admission tick asks what is left of the event (the inventory's
answer, passed in by the composition root) and admits nobody while nothing is."""

from __future__ import annotations

import pytest

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.schemas import AdmissionMode, PlaceState, Stock, Supply
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import ORGANIZER, MakeConfig, join_direct, queue_of

PLENTY = Stock(available=1_000, holds=0)
ALL_HELD = Stock(available=0, holds=3)
SOLD_OUT = Stock(available=0, holds=0)


class Shelf:
    """What the inventory would answer, set by the test."""

    def __init__(self) -> None:
        self.stock: Stock | None = PLENTY
        self.asked: list[str] = []

    async def __call__(self, event_id: str) -> Stock | None:
        self.asked.append(event_id)
        return self.stock


async def test_nothing_left_pauses_admission_and_tells_the_line(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    shelf = Shelf()
    admissions = Admissions(resources.db, resources.redis, shelf)
    ev, _ = await queue_of(room, make_config, 105, mode=AdmissionMode.AUTO, target_active=2)
    await admissions.tick()
    assert shelf.asked == [ev]
    assert (await room.stats(ev, ORGANIZER)).admitted == 2

    # Every unit held: nobody else gets in although two shoppers' places came free.
    shelf.stock = ALL_HELD
    await room.record_shopper_left(ev, "usr_0")
    await room.record_checkout_completed(ev, "usr_1")
    await admissions.tick()
    stats = await room.stats(ev, ORGANIZER)
    assert (stats.admitted, stats.supply) == (2, Supply.ALL_HELD)
    front = await room.status(ev, Principal("usr_2"))
    assert (front.state, front.supply) == (PlaceState.QUEUED, Supply.ALL_HELD)
    # People keep asking at the pace the line last moved (the front every 2 s, far back
    # at half the wait that pace gives, at most a third of the 5-minute admission
    # token), without a wait estimate.
    assert (front.poll_after_s, front.estimated_wait_s) == (2.0, None)
    back = await room.status(ev, Principal("usr_104"))
    assert 2.0 < back.poll_after_s <= 100.0
    assert back.estimated_wait_s is None

    # A hold expired: the line moves again.
    shelf.stock = PLENTY
    await admissions.tick()
    stats = await room.stats(ev, ORGANIZER)
    assert (stats.admitted, stats.supply) == (4, Supply.AVAILABLE)
    assert (await room.status(ev, Principal("usr_2"))).state is PlaceState.ADMITTED

    # Sold out: everyone still in line hears it and asks rarely; nobody is admitted.
    shelf.stock = SOLD_OUT
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
    ev, _ = await queue_of(room, make_config, 20, rate_per_minute=60)  # 1/s, 5 at once at most
    shelf.stock = ALL_HELD
    await admissions.tick()
    await resources.redis.hset(QueueKeys(ev).stats, "last_tick", 0)  # "long" paused
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted == 0
    shelf.stock = PLENTY
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted <= 1


async def test_never_more_people_in_one_step_than_units_left(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    shelf = Shelf()
    admissions = Admissions(resources.db, resources.redis, shelf)
    # A fixed 60,000 a minute: the whole line at once otherwise.
    ev, _ = await queue_of(room, make_config, 30)
    shelf.stock = Stock(available=2, holds=9)  # two seats came back
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted == 2
    shelf.stock = PLENTY
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted == 30


async def test_nobody_is_admitted_before_the_inventory_can_take_holds(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    """Admission never runs ahead of provisioning: while the inventory is not ready (not
    provisioned, not open yet, not answering) the line waits, drawn but not admitted."""
    shelf = Shelf()
    shelf.stock = None
    config = make_config()
    await room.configure_queue(config)
    await join_direct(room, config.event_id, "usr_1")
    admissions = Admissions(resources.db, resources.redis, shelf)
    await admissions.tick()
    assert (await room.stats(config.event_id, ORGANIZER)).admitted == 0
    assert (await room.status(config.event_id, Principal("usr_1"))).state is PlaceState.QUEUED
    shelf.stock = PLENTY  # provisioned and open: the next tick lets the line in
    await admissions.tick()
    assert (await room.stats(config.event_id, ORGANIZER)).supply is Supply.AVAILABLE
    assert (await room.status(config.event_id, Principal("usr_1"))).state is PlaceState.ADMITTED


@pytest.mark.parametrize("stored", [None, "", "all_held", "sold_out"])
def test_supply_field_round_trip(stored: str | None) -> None:
    supply = Supply.of(stored)
    assert Supply.of(supply.stored) is supply
