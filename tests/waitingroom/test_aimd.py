"""The adaptive admission controller: cut on slow checkouts, raise while the shop keeps
up and has room, always within the organizer's bounds."""

from __future__ import annotations

import pytest

from ticketsafe.waitingroom import aimd
from ticketsafe.waitingroom.aimd import Bounds, Signal, latency_signal, next_rate

BOUNDS = Bounds(min_per_minute=60, max_per_minute=3_060, latency_target_ms=500, target_active=100)
FAST, SLOW = 120.0, 2_000.0


def test_slow_checkouts_cut_the_rate_multiplicatively() -> None:
    decision = next_rate(1_000, Signal(SLOW, active=10), BOUNDS, since_cut_s=60)
    assert decision.cut
    assert decision.rate_per_minute == pytest.approx(1_000 * aimd.DECREASE)


def test_a_cut_waits_for_its_effect_before_the_next() -> None:
    decision = next_rate(1_000, Signal(SLOW, active=10), BOUNDS, since_cut_s=1)
    assert (decision.rate_per_minute, decision.cut) == (1_000, False)


def test_cuts_stop_at_the_organizers_minimum() -> None:
    decision = next_rate(70, Signal(SLOW, active=10), BOUNDS, since_cut_s=60)
    assert decision.rate_per_minute == BOUNDS.min_per_minute


def test_fast_checkouts_with_room_in_the_shop_raise_it_additively() -> None:
    decision = next_rate(1_000, Signal(FAST, active=10), BOUNDS, since_cut_s=0)
    assert not decision.cut
    assert decision.rate_per_minute == 1_000 + (3_060 - 60) / aimd.INCREASE_STEPS


def test_no_checkout_yet_counts_as_keeping_up() -> None:
    assert next_rate(60, Signal(None, active=0), BOUNDS, since_cut_s=0).rate_per_minute > 60


def test_a_full_shop_holds_the_rate() -> None:
    decision = next_rate(1_000, Signal(FAST, active=100), BOUNDS, since_cut_s=60)
    assert (decision.rate_per_minute, decision.cut) == (1_000, False)


def test_rises_stop_at_the_organizers_maximum_and_a_stray_rate_is_clamped() -> None:
    assert next_rate(3_050, Signal(FAST, 0), BOUNDS, since_cut_s=9).rate_per_minute == 3_060
    assert next_rate(9_999, Signal(FAST, 100), BOUNDS, since_cut_s=9).rate_per_minute == 3_060
    assert next_rate(1, Signal(FAST, 100), BOUNDS, since_cut_s=9).rate_per_minute == 60


def test_ramp_from_minimum_to_maximum_takes_the_configured_steps() -> None:
    rate, ticks = BOUNDS.min_per_minute, 0
    while rate < BOUNDS.max_per_minute:
        rate = next_rate(rate, Signal(FAST, 0), BOUNDS, since_cut_s=9).rate_per_minute
        ticks += 1
    assert ticks == aimd.INCREASE_STEPS


def test_the_signal_is_the_p90_of_the_recent_window_only() -> None:
    now = 100_000
    recent = [(now - 1_000, float(ms)) for ms in range(1, 101)]  # 1..100 ms
    stale = [(now - int(aimd.WINDOW_S * 1000) - 1, 99_999.0)]
    assert latency_signal(recent + stale, now) == 91.0
    assert latency_signal(stale, now) is None
    assert latency_signal([], now) is None
