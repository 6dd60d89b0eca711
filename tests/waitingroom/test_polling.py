"""How often a waiting browser is told to ask again, and how long its place is kept
without a check-in (scripts/_poll.lua, on the real Redis)."""

from __future__ import annotations

import asyncio
import time

from ticketsafe.identity.principal import Principal
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.schemas import AdmissionMode, PlaceState
from ticketsafe.waitingroom.service import WaitingRoom

from .conftest import MakeConfig, queue_of

ROUNDING_S = 0.01  # waits are whole milliseconds


async def test_the_very_front_polls_every_two_seconds(
    room: WaitingRoom, make_config: MakeConfig
) -> None:
    ev, joined = await queue_of(room, make_config, 100, rate_per_minute=6)
    assert (joined[0].poll_after_s, joined[0].estimated_wait_s) == (2.0, 10)
    # Place 100 waits 1,000 s, but an auto-admitting room may let them in any second.
    last = await room.status(ev, Principal("usr_99"))
    assert (last.position, last.estimated_wait_s, last.poll_after_s) == (100, 1_000, 2.0)


async def test_further_back_asks_at_half_the_wait_within_a_third_of_the_token_life(
    room: WaitingRoom, make_config: MakeConfig
) -> None:
    _, joined = await queue_of(room, make_config, 121, rate_per_minute=60)
    assert (joined[120].estimated_wait_s, joined[120].poll_after_s) == (121, 60.5)
    slow, _ = await queue_of(room, make_config, 121, rate_per_minute=1)
    far = await room.status(slow, Principal("usr_120"))
    assert far.estimated_wait_s == 121 * 60
    assert far.poll_after_s == 100.0  # a third of the default 5-minute admission token
    short, _ = await queue_of(room, make_config, 121, rate_per_minute=1, token_ttl=30)
    assert (await room.status(short, Principal("usr_120"))).poll_after_s == 10.0
    fast, _ = await queue_of(room, make_config, 121, rate_per_minute=60_000)
    assert (await room.status(fast, Principal("usr_120"))).poll_after_s == 2.0  # never faster


async def test_without_a_known_rate_everyone_asks_soon(
    room: WaitingRoom, make_config: MakeConfig
) -> None:
    _, joined = await queue_of(room, make_config, 101, mode=AdmissionMode.AUTO)
    assert (joined[100].estimated_wait_s, joined[100].poll_after_s) == (None, 2.0)


async def test_the_pre_queue_comes_back_just_after_on_sale_spread_over_twenty_seconds(
    room: WaitingRoom, make_config: MakeConfig
) -> None:
    # Each answer names one moment (on-sale plus the user's offset of up to 20 s) as a
    # wait from when it was given: the joins' own duration (seconds on a loaded
    # machine) shifts the waits, so the bounds count it rather than a fixed slack.
    started = time.time()
    _, entrants = await queue_of(room, make_config, 200, on_sale_in_s=30)
    took = time.time() - started
    assert {e.state for e in entrants} == {PlaceState.PRE_QUEUE}
    polls = sorted(e.poll_after_s for e in entrants)
    assert polls[0] >= 30.0 - took - ROUNDING_S  # on-sale,
    assert polls[-1] <= 50.0 + took + ROUNDING_S  # plus up to 20 s
    assert polls[-1] - polls[0] > 15.0  # not all in the same second
    assert max(sum(1 for p in polls if t <= p < t + 1) for t in range(28, 51)) < 30
    asked = time.time()
    again = await room.status(entrants[7].event_id, Principal("usr_7"))
    told = time.time()
    # Stable: the same moment, so the wait is shorter by the time that passed since.
    first = entrants[7].poll_after_s
    assert first - (told - started) - ROUNDING_S <= again.poll_after_s
    assert again.poll_after_s <= first - (asked - (started + took)) + ROUNDING_S
    _, (early,) = await queue_of(room, make_config, 1, on_sale_in_s=1_500)
    assert early.poll_after_s == 120.0  # a check-in at least every two minutes


async def test_a_place_is_kept_until_the_next_check_in_is_overdue_by_the_grace_period(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig
) -> None:
    """Grace 1 s. The front was told to come back in 2 s, place 101 in 10 s (a third of
    a 30-s admission token): 3.2 s later, with nobody checking in, the front has lost
    its place and place 101 has not — it was told not to come back yet."""
    ev, joined = await queue_of(
        room, make_config, 101, rate_per_minute=60, token_ttl=30, grace_period=1
    )
    assert (joined[0].poll_after_s, joined[100].poll_after_s) == (2.0, 10.0)
    await asyncio.sleep(3.2)
    assert await admissions.store.sweep(ev) == 100
    assert (await room.status(ev, Principal("usr_0"))).state is PlaceState.NOT_IN_QUEUE
    kept = await room.status(ev, Principal("usr_100"))
    assert (kept.state, kept.position) == (PlaceState.QUEUED, 1)
