"""The adaptive admission controller: anchored to the pace the shop completes, cut below
it on slow checkouts, raised by the headroom left while it keeps up and has room, always
within the organizer's bounds."""

from __future__ import annotations

import pytest

from ticketsafe.waitingroom import aimd
from ticketsafe.waitingroom.aimd import Bounds, Signal, latency_signal, next_rate, pace_per_minute

BOUNDS = Bounds(min_per_minute=60, max_per_minute=6_000, latency_target_ms=500, target_active=100)
FAST, SLOW = 100.0, 2_000.0
PACE = 1_200.0  # checkouts completed a minute


def test_slow_checkouts_cut_the_rate_below_the_pace_in_proportion() -> None:
    just_over = next_rate(3_000, Signal(550.0, 10, PACE), BOUNDS, since_cut_s=60)
    assert just_over.cut
    assert just_over.rate_per_minute == pytest.approx(PACE * aimd.SHALLOWEST_CUT)
    over = next_rate(3_000, Signal(600.0, 10, PACE), BOUNDS, since_cut_s=60)
    assert over.rate_per_minute == pytest.approx(PACE * 500 / 600)
    far_over = next_rate(3_000, Signal(SLOW, 10, PACE), BOUNDS, since_cut_s=60)
    assert far_over.rate_per_minute == pytest.approx(PACE * aimd.DEEPEST_CUT)


def test_a_rate_already_draining_the_shop_is_not_cut_further() -> None:
    decision = next_rate(500, Signal(SLOW, 10, PACE), BOUNDS, since_cut_s=60)
    assert decision.rate_per_minute == 500


def test_without_a_pace_a_cut_is_multiplicative() -> None:
    decision = next_rate(1_000, Signal(SLOW, 10, None), BOUNDS, since_cut_s=60)
    assert decision.rate_per_minute == pytest.approx(1_000 * aimd.DECREASE)


def test_a_cut_waits_for_its_effect_before_the_next() -> None:
    decision = next_rate(1_000, Signal(SLOW, 10, PACE), BOUNDS, since_cut_s=1)
    assert (decision.rate_per_minute, decision.cut) == (1_000, False)


def test_cuts_stop_at_the_organizers_minimum() -> None:
    decision = next_rate(70, Signal(SLOW, 10, 80.0), BOUNDS, since_cut_s=60)
    assert decision.rate_per_minute == BOUNDS.min_per_minute


def test_fast_checkouts_raise_it_by_the_headroom_left() -> None:
    decision = next_rate(1_000, Signal(FAST, 10, PACE), BOUNDS, since_cut_s=0)
    assert not decision.cut
    assert decision.rate_per_minute == pytest.approx(1_000 * (1 + aimd.GROWTH * 0.8))
    at_target = next_rate(1_000, Signal(500.0, 10, PACE), BOUNDS, since_cut_s=0)
    assert at_target.rate_per_minute == 1_000


def test_rises_stop_a_little_ahead_of_the_pace() -> None:
    lead = PACE * aimd.PACE_LEAD
    assert next_rate(lead - 1, Signal(FAST, 10, PACE), BOUNDS, since_cut_s=9).rate_per_minute == (
        pytest.approx(lead)
    )
    # Further ahead (the organizer's start, or the pace fell): it comes down a little a
    # tick, not cut, and not below the lead.
    ahead = next_rate(3_000, Signal(FAST, 10, PACE), BOUNDS, since_cut_s=9)
    assert ahead.rate_per_minute == pytest.approx(3_000 * (1 - aimd.AHEAD_DECAY))
    assert not ahead.cut
    near = next_rate(lead * 1.01, Signal(FAST, 10, PACE), BOUNDS, since_cut_s=9)
    assert near.rate_per_minute == pytest.approx(lead)


def test_nothing_measured_yet_holds_the_starting_rate() -> None:
    assert next_rate(600, Signal(None, 0, None), BOUNDS, since_cut_s=0).rate_per_minute == 600


def test_a_full_shop_holds_the_rate() -> None:
    decision = next_rate(1_000, Signal(FAST, 100, PACE), BOUNDS, since_cut_s=60)
    assert (decision.rate_per_minute, decision.cut) == (1_000, False)


def test_the_rate_stays_within_the_organizers_bounds() -> None:
    assert next_rate(5_990, Signal(FAST, 0, 9_000.0), BOUNDS, since_cut_s=9).rate_per_minute == (
        6_000
    )
    assert next_rate(9_999, Signal(FAST, 100), BOUNDS, since_cut_s=9).rate_per_minute == 6_000
    assert next_rate(1, Signal(FAST, 100), BOUNDS, since_cut_s=9).rate_per_minute == 60


def test_a_steady_shop_settles_where_checkouts_meet_the_target() -> None:
    """A toy shop that serves 1,200 a minute, whose latency grows with the people it holds
    beyond what it serves in a second: the rate converges to about the pace and no
    further, and latency stays near the target instead of running away."""
    serve_per_s, inside, rate, since_cut = 20.0, 0.0, 3_000.0, 60.0
    latencies = []
    for _ in range(300):
        inside = max(0.0, inside + rate / 60 - serve_per_s)
        latency = 100 + 1_000 * inside / serve_per_s  # queueing: inside ÷ service rate
        pace = min(rate / 60, serve_per_s) * 60
        decision = next_rate(
            rate, Signal(latency, int(inside), pace), BOUNDS, since_cut_s=since_cut
        )
        rate, since_cut = decision.rate_per_minute, 0.0 if decision.cut else since_cut + 1
        latencies.append(latency)
    assert max(latencies[-100:]) < 1_000
    assert 0.75 * 1_200 <= rate <= aimd.PACE_LEAD * 1_200


def test_the_signal_is_the_p90_of_the_recent_window_only() -> None:
    now = 100_000
    recent = [(now - 1_000, float(ms)) for ms in range(1, 101)]  # 1..100 ms
    stale = [(now - int(aimd.WINDOW_S * 1000) - 1, 99_999.0)]
    assert latency_signal(recent + stale, now) == 91.0
    assert latency_signal(stale, now) is None
    assert latency_signal([], now) is None


def test_after_a_cut_only_the_checkouts_ended_since_count() -> None:
    """Those let in before the cut end slow for a while: counted again, they would cut
    the rate a second time for the same overload."""
    now, cut = 100_000, 97_000
    before = [(cut - 1, 2_000.0)] * 50
    after = [(cut + 500, 150.0)] * 10
    assert latency_signal(before + after, now, since_ms=cut) == 150.0
    assert latency_signal(before, now, since_ms=cut) is None
    assert latency_signal(before + after, now) == 2_000.0


def test_the_pace_is_per_minute_over_its_window() -> None:
    assert pace_per_minute(0) is None
    assert pace_per_minute(200) == pytest.approx(200 * 60 / aimd.PACE_WINDOW_S)
