"""Adaptive admission: let people in at the pace the shop sustains.

Letting in more shoppers than checkout can serve only makes them queue inside the shop
(the large preset once admitted at the pace of completions and its checkouts took p99
7.9 s). In adaptive mode the admission tick sets the rate from two measurements every
api process and the admission script leave in Redis: checkout latency (p90 of the
checkouts of the last `WINDOW_S`) and the shop's pace (checkouts completed in the last
`PACE_WINDOW_S`, per minute). The rate is anchored to the pace, because the pace is what
the shop demonstrably serves:

- **slow checkouts cut the rate below the pace**, in proportion to how late they are
  (`pace × target / latency`, between `DEEPEST_CUT` and `SHALLOWEST_CUT` of it), at most
  once per `COOLDOWN_S`, and judged again only on checkouts that ended after the cut
  (`latency_signal`'s `since_ms`): the checkouts of people let in before it end slow for
  a few seconds more, and counting them again cut the rate two or three times for one
  overload, to 40 % of what the shop completed (seen on the large preset: the shop
  emptied, then the rate climbed back and overshot). The line then moves slower than
  the shop serves, so the shoppers already inside drain, and the rate never falls
  further than the drain needs: a cut below a rate already under the pace keeps the
  rate;
- **fast checkouts raise it multiplicatively by the headroom left** (up to `GROWTH` a
  tick when checkouts take no time, nothing at the target), but never past
  `PACE_LEAD` × the pace: admitting far faster than the shop completes only builds a
  queue inside it that the latency shows too late (people notice their admission
  seconds after it). A rate further ahead (the organizer's start, or a pace that fell)
  comes down towards it by `AHEAD_DECAY` a tick: held there, it once let 900 people in
  over 35 s while the shop completed 15 a second with checkouts at p90 90 ms, and their
  checkouts then took 4 s;
- **it holds** with nothing measured yet (no checkout in the window: the people let in
  have not reached checkout) and when `target_active` people already shop.

The rate always stays within the organizer's bounds (`min_rate_per_minute`,
`max_rate_per_minute`) and starts from `rate_per_minute`; the admission script still
never lets in more than `target_active` at once nor anyone while nothing is left.
A target below the shop's own floor (checkouts slower than it with an empty shop) sends
the rate to the organizer's minimum: the bounds are the organizer's guard against that.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_S = 10.0  # the checkouts the latency signal looks at
PACE_WINDOW_S = 10.0  # the completions the pace is measured over
PACE_WINDOW_MS = int(PACE_WINDOW_S * 1000)
LATENCY_QUANTILE = 0.9
COOLDOWN_S = 6.0  # a cut shows in checkouts only seconds later (3 s cut again before)
DEEPEST_CUT = 0.7  # of the pace, when checkouts take 1.4 times the target or more
SHALLOWEST_CUT = 0.9  # of the pace, when they are only just over it
DECREASE = 0.7  # a cut with no pace measured (nothing completed in the window)
GROWTH = 0.1  # the largest rise in one tick, with all the headroom left
PACE_LEAD = 1.5  # the rate is raised to at most this many times the pace
AHEAD_DECAY = 0.05  # a tick's fall of a rate further ahead than that, checkouts fast


@dataclass(frozen=True)
class Bounds:
    """What the organizer set (`QueueConfig`)."""

    min_per_minute: float
    max_per_minute: float
    latency_target_ms: float
    target_active: int

    def clamp(self, rate: float) -> float:
        return min(self.max_per_minute, max(self.min_per_minute, rate))


@dataclass(frozen=True)
class Signal:
    """What the shop measures now: checkout latency (None: no checkout in the window),
    how many admitted people are shopping, and checkouts completed per minute (None:
    none in the pace window)."""

    latency_ms: float | None
    active: int
    pace_per_minute: float | None = None


@dataclass(frozen=True)
class Decision:
    rate_per_minute: float
    cut: bool  # a decrease: the cooldown starts now


def next_rate(
    rate: float,
    signal: Signal,
    bounds: Bounds,
    *,
    since_cut_s: float,
    cooldown_s: float = COOLDOWN_S,
) -> Decision:
    """The rate for the next tick."""
    rate = bounds.clamp(rate)
    latency, pace, target = signal.latency_ms, signal.pace_per_minute, bounds.latency_target_ms
    if latency is None:
        return Decision(rate, cut=False)
    if latency > target:
        if since_cut_s < cooldown_s:
            return Decision(rate, cut=False)
        if pace is None:
            return Decision(bounds.clamp(rate * DECREASE), cut=True)
        share = min(SHALLOWEST_CUT, max(DEEPEST_CUT, target / latency))
        return Decision(bounds.clamp(min(rate, pace * share)), cut=True)
    if signal.active >= bounds.target_active:
        return Decision(rate, cut=False)
    raised = rate * (1 + GROWTH * (1 - latency / target))
    if pace is not None:
        raised = min(raised, max(pace * PACE_LEAD, rate * (1 - AHEAD_DECAY)))
    return Decision(bounds.clamp(raised), cut=False)


def latency_signal(
    samples: list[tuple[int, float]], now_ms: int, since_ms: int = 0
) -> float | None:
    """The LATENCY_QUANTILE of the (recorded at ms, latency ms) samples of the last
    WINDOW_S recorded at `since_ms` or later (the last cut); None without any."""
    start = max(now_ms - WINDOW_S * 1000, since_ms)
    recent = sorted(ms for at, ms in samples if at >= start)
    if not recent:
        return None
    return recent[min(len(recent) - 1, int(LATENCY_QUANTILE * len(recent)))]


def pace_per_minute(completions: int) -> float | None:
    """Checkouts completed in the last PACE_WINDOW_S, per minute; None without any."""
    return completions * 60 / PACE_WINDOW_S if completions else None
