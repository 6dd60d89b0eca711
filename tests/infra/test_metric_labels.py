"""Event labels are bounded: the first events a process sees keep their ids, later ones
count as `other`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ticketsafe.infra import metric_labels
from ticketsafe.infra.metric_labels import OTHER, event_label, set_event_label_cap


@pytest.fixture(autouse=True)
def fresh_labels() -> Iterator[None]:
    seen = set(metric_labels._seen)
    metric_labels._seen.clear()
    yield
    metric_labels._seen.clear()
    metric_labels._seen.update(seen)
    set_event_label_cap(20)


def test_the_first_events_keep_their_ids_and_later_ones_are_other() -> None:
    set_event_label_cap(2)
    assert [event_label(e) for e in ("evt_a", "evt_b", "evt_c", "evt_a")] == [
        "evt_a", "evt_b", OTHER, "evt_a",
    ]  # fmt: skip


def test_a_cap_of_zero_labels_no_event() -> None:
    set_event_label_cap(0)
    assert event_label("evt_a") == OTHER
