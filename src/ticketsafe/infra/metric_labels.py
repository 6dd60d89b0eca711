"""Bounded label values for metrics that an operator needs per event.

A label value is a time series in every Prometheus that scrapes us, for as long as the
process lives: an event id per label is fine for the handful of sales running at once,
not for every event ever published. Each process labels the first
`Settings.metrics_event_labels` events it sees by id and every later one as `other`
(a process restarts long before that matters in practice; the cap only bounds the worst
case). User ids, order ids and hold ids are never label values.
"""

from __future__ import annotations

OTHER = "other"

_seen: set[str] = set()
_cap = 20


def set_event_label_cap(cap: int) -> None:
    global _cap  # noqa: PLW0603 - one cap per process, set once at start from Settings
    _cap = cap


def event_label(event_id: str) -> str:
    """`event_id` while fewer than the cap are labelled in this process, else `other`."""
    if event_id in _seen:
        return event_id
    if len(_seen) < _cap:
        _seen.add(event_id)
        return event_id
    return OTHER
