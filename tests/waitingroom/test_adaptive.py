"""Adaptive admission against real Redis: checkout latencies and completions recorded
by the api processes drive the admission rate below the shop's pace when it is slow and
back up when it recovers, within the organizer's bounds (validated)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources
from ticketsafe.waitingroom import aimd
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.errors import QueueConfigRejected
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.schemas import AdmissionMode, AdmissionUpdate
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import ORGANIZER, MakeConfig, queue_of

ADAPTIVE: dict[str, Any] = {
    "mode": AdmissionMode.ADAPTIVE,
    "rate_per_minute": 600,
    "min_rate_per_minute": 60,
    "max_rate_per_minute": 3_060,
    "checkout_latency_target_ms": 500,
    "target_active": 1_000,
}


async def _checkouts(room: WaitingRoom, event_id: str, seconds: float, n: int = 20) -> None:
    for _ in range(n):
        await room.record_checkout_latency(event_id, seconds)


async def test_the_rate_falls_below_the_pace_when_checkout_is_slow_and_rises_when_it_recovers(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    admissions = Admissions(resources.db, resources.redis, cooldown_s=0)
    ev, _ = await queue_of(room, make_config, 50, **ADAPTIVE)
    await admissions.tick()  # the draw; nothing measured yet: the organizer's rate holds
    assert (await room.stats(ev, ORGANIZER)).rate_per_minute == 600

    # 100 checkouts completed in the pace window (600 a minute), taking 2 s each: four
    # times the target, so the line moves at the deepest cut of the pace while the shop
    # drains.
    for i in range(100):
        await room.record_checkout_completed(ev, f"usr_{i}")
    await _checkouts(room, ev, 2.0)
    await admissions.tick()
    slowed = await room.stats(ev, ORGANIZER)
    cut = 600 * aimd.DEEPEST_CUT
    assert slowed.rate_per_minute == pytest.approx(cut)
    assert slowed.checkout_latency_ms == 2_000.0
    for _ in range(5):  # still slow after the cut, but already draining: not cut further
        await _checkouts(room, ev, 2.0)
        await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).rate_per_minute == pytest.approx(cut)

    # The shop recovers: the latest checkouts are fast (the window's p90 with them).
    await resources.redis.delete(QueueKeys(ev).latency)
    await _checkouts(room, ev, 0.05)
    for _ in range(3):
        await admissions.tick()
    recovered = await room.stats(ev, ORGANIZER)
    assert recovered.rate_per_minute == pytest.approx(cut * (1 + aimd.GROWTH * 0.9) ** 3, abs=1)
    assert recovered.checkout_latency_ms == 50.0


async def test_no_more_shoppers_than_the_target_at_any_rate(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    admissions = Admissions(resources.db, resources.redis)
    fast = {**ADAPTIVE, "rate_per_minute": 60_000, "max_rate_per_minute": 60_000}
    ev, _ = await queue_of(room, make_config, 30, **{**fast, "target_active": 5})
    await admissions.tick()
    stats = await room.stats(ev, ORGANIZER)
    assert (stats.admitted, stats.active_shoppers) == (5, 5)
    await room.record_checkout_completed(ev, "usr_0")
    await admissions.tick()
    assert (await room.stats(ev, ORGANIZER)).admitted == 6


async def test_the_organizers_admission_survives_the_catalog_configuring_the_queue_again(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    """The catalog configures the queue at publish and again when the sale opens, from
    the event's own settings (a fixed rate): admission the organizer set in between
    (`PATCH .../admission`) is kept, the catalog's other settings still apply."""
    ev, _ = await queue_of(room, make_config, 1)
    first = await room.repo.get(ev)
    assert first is not None
    assert first.config.mode is AdmissionMode.FIXED
    catalog = first.config.model_copy(update={"pow_difficulty": 4})
    update = AdmissionUpdate(mode=AdmissionMode.ADAPTIVE, target_active=1_500)
    await room.update_admission(ev, ORGANIZER, update)
    await room.configure_queue(catalog)  # the sale opens
    stored = await room.repo.get(ev)
    assert stored is not None
    assert (stored.config.mode, stored.config.target_active) == (AdmissionMode.ADAPTIVE, 1_500)
    assert stored.config.pow_difficulty == 4
    stats = await room.stats(ev, ORGANIZER)
    assert (stats.mode, stats.target_active) == (AdmissionMode.ADAPTIVE, 1_500)
    mode, target = await room.store.config_fields(ev, "mode", "target")
    assert (mode, target) == ("adaptive", "1500")  # what the admission script reads


async def test_latency_of_an_event_without_a_waiting_room_is_not_recorded(
    room: WaitingRoom, resources: Resources
) -> None:
    await room.record_checkout_latency("no_queue_event", 1.0)
    assert await resources.redis.exists(QueueKeys("no_queue_event").latency) == 0


async def test_the_organizers_bounds_are_validated(
    room: WaitingRoom, make_config: MakeConfig
) -> None:
    ev, _ = await queue_of(room, make_config, 1, **ADAPTIVE)
    with pytest.raises(QueueConfigRejected):
        await room.update_admission(
            ev, ORGANIZER, AdmissionUpdate(min_rate_per_minute=5_000, max_rate_per_minute=100)
        )
    stats = await room.update_admission(
        ev, ORGANIZER, AdmissionUpdate(min_rate_per_minute=120, checkout_latency_target_ms=800)
    )
    assert (stats.min_rate_per_minute, stats.checkout_latency_target_ms) == (120, 800)


async def test_the_line_is_told_its_wait_at_the_controllers_rate(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    """People far back come back at half the wait the controller's current rate gives:
    a trailing count of admissions lagged every rise, and people told to come back late
    held places in the shop they did not use."""
    admissions = Admissions(resources.db, resources.redis, cooldown_s=0)
    ev, _ = await queue_of(room, make_config, 400, **{**ADAPTIVE, "target_active": 1})
    await admissions.tick()  # the draw; one shopper let in (the target)
    back = await room.status(ev, Principal("usr_399"))
    position = back.position
    assert position is not None
    assert back.estimated_wait_s == math.ceil(position * 60 / 600)
    await room.store.set_adaptive_rate(ev, 6_000, None)  # the controller raised it
    back = await room.status(ev, Principal("usr_399"))
    assert (back.position, back.estimated_wait_s) == (position, math.ceil(position * 60 / 6_000))
    assert back.poll_after_s == 2.0
