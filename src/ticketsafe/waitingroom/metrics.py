"""The waiting room's instruments, fed by the worker's admission tick (one worker at a
time holds its lease): people waiting, admitted, who lost their place, and shoppers
inside. By event, capped (`infra.metric_labels`). A worker that lost the lease keeps its
last readings: the recording rules read only processes whose tick is recent.

The admission rate is `rate(ticketsafe_waitingroom_admitted_total)`; the expected time
in queue is the line's length over that rate (a recording rule,
`deploy/prometheus/rules/ticketsafe-recording.yml`): the line is drawn at random at
on-sale, so a join time would not say how long anyone waited.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from ticketsafe.infra.metric_labels import event_label

QUEUE_LENGTH = Gauge(
    "ticketsafe_waitingroom_queue_length", "People waiting in line (after the draw)", ["event"]
)
PRE_QUEUE_LENGTH = Gauge(
    "ticketsafe_waitingroom_pre_queue_length", "People in the pre-queue (before on-sale)", ["event"]
)
ACTIVE_SHOPPERS = Gauge(
    "ticketsafe_waitingroom_active_shoppers", "Admitted people still shopping", ["event"]
)
UNITS_AVAILABLE = Gauge(
    "ticketsafe_waitingroom_units_available",
    "Units left to hold, as the admission tick last saw them (0: admission pauses)",
    ["event"],
)
TICKED = Gauge(
    "ticketsafe_waitingroom_tick_timestamp_seconds",
    "When this process last ran the admission tick (its gauges are fresh since then)",
)
ADMITTED = Counter("ticketsafe_waitingroom_admitted_total", "People admitted to shop", ["event"])
ABANDONED = Counter(
    "ticketsafe_waitingroom_abandoned_total",
    "People who lost their place (no status poll within the grace period)",
    ["event"],
)


def record_tick(
    event_id: str,
    counters: dict[str, int],
    admitted: int,
    abandoned: int,
    available: int | None,
) -> None:
    """One admission round of one event: the line as it stands after it, and the units
    left (None: not known this round)."""
    event = event_label(event_id)
    TICKED.set_to_current_time()
    if available is not None:
        UNITS_AVAILABLE.labels(event).set(available)
    QUEUE_LENGTH.labels(event).set(counters["queue_length"])
    PRE_QUEUE_LENGTH.labels(event).set(counters["pre_queue_length"])
    ACTIVE_SHOPPERS.labels(event).set(counters["active"])
    ADMITTED.labels(event).inc(admitted)
    ABANDONED.labels(event).inc(abandoned)
