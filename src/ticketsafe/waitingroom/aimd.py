"""Adaptive admission: let people in at the pace the shop sustains.

Letting in more shoppers than checkout can serve only makes them queue inside the shop
(the large preset once admitted at the pace of completions and its checkouts took p99
7.9 s). In adaptive mode the admission tick sets the rate with an AIMD controller, as TCP
sets its window:

- **multiplicative decrease**: when checkout latency (p90 of the checkouts of the last
  `WINDOW_S`, which every api process records in Redis) passes the organizer's target,
  the rate is cut by `DECREASE`, at most once per `COOLDOWN_S` (the cut must show in
  the latencies before it is judged again);
- **additive increase**: while latency is within the target and fewer shoppers are
  active than `target_active` (free capacity), the rate rises by a fixed step each
  tick, `INCREASE_STEPS` ticks from the minimum to the maximum;
- otherwise (the shop is full but fast) it holds.

The rate always stays within the organizer's bounds (`min_rate_per_minute`,
`max_rate_per_minute`), and the admission script still never lets in more than
`target_active` at once nor anyone while nothing is left.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_S = 10.0  # the checkouts the latency signal looks at
DECREASE = 0.7
INCREASE_STEPS = 30
COOLDOWN_S = 3.0
LATENCY_QUANTILE = 0.9


@dataclass(frozen=True)
class Bounds:
    """What the organizer set (`QueueConfig`)."""

    min_per_minute: float
    max_per_minute: float
    latency_target_ms: float
    target_active: int

    def clamp(self, rate: float) -> float:
        return min(self.max_per_minute, max(self.min_per_minute, rate))

    @property
    def step(self) -> float:
        return max(1.0, (self.max_per_minute - self.min_per_minute) / INCREASE_STEPS)


@dataclass(frozen=True)
class Signal:
    """What the shop measures now: checkout latency (None: no checkout in the window)
    and how many admitted people are shopping."""

    latency_ms: float | None
    active: int


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
    if signal.latency_ms is not None and signal.latency_ms > bounds.latency_target_ms:
        if since_cut_s < cooldown_s:
            return Decision(rate, cut=False)
        return Decision(bounds.clamp(rate * DECREASE), cut=True)
    if signal.active >= bounds.target_active:
        return Decision(rate, cut=False)
    return Decision(bounds.clamp(rate + bounds.step), cut=False)


def latency_signal(samples: list[tuple[int, float]], now_ms: int) -> float | None:
    """The LATENCY_QUANTILE of the (recorded at ms, latency ms) samples of the last
    WINDOW_S; None without any."""
    recent = sorted(ms for at, ms in samples if at >= now_ms - WINDOW_S * 1000)
    if not recent:
        return None
    return recent[min(len(recent) - 1, int(LATENCY_QUANTILE * len(recent)))]
