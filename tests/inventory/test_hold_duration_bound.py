"""A per-event hold TTL has one bound: what the catalog lets an organizer set is exactly
what the inventory accepts when the event is provisioned (both read the catalog's
`MIN_HOLD_DURATION_S` / `MAX_HOLD_DURATION_S`)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ticketsafe.catalog.events.schemas import (
    DEFAULT_HOLD_DURATION_S,
    MAX_HOLD_DURATION_S,
    MIN_HOLD_DURATION_S,
    EventCreate,
)
from ticketsafe.inventory.models import InventoryLayout


def _catalog_accepts(hold_duration_s: int) -> bool:
    payload = {
        "venue_id": "ven_1",
        "name": "Concerto",
        "starts_at": "2030-01-01T20:00:00+00:00",
        "ends_at": "2030-01-01T23:00:00+00:00",
        "hold_duration_s": hold_duration_s,
    }
    try:
        EventCreate.model_validate(payload)
    except ValidationError:
        return False
    return True


def _inventory_accepts(hold_duration_s: int) -> bool:
    try:
        InventoryLayout(event_id="evt_1", hold_duration_s=hold_duration_s)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("hold_duration_s", "accepted"),
    [
        (1, False),
        (5, False),  # the inventory's own lower bound once, below the catalog's
        (MIN_HOLD_DURATION_S - 1, False),
        (MIN_HOLD_DURATION_S, True),
        (DEFAULT_HOLD_DURATION_S, True),
        (MAX_HOLD_DURATION_S, True),
        (MAX_HOLD_DURATION_S + 1, False),
    ],
)
def test_catalog_and_inventory_accept_the_same_hold_durations(
    hold_duration_s: int, accepted: bool
) -> None:
    assert _catalog_accepts(hold_duration_s) is accepted
    assert _inventory_accepts(hold_duration_s) is accepted


def test_both_default_to_the_same_hold_duration() -> None:
    event = EventCreate.model_validate(
        {
            "venue_id": "ven_1",
            "name": "Concerto",
            "starts_at": "2030-01-01T20:00:00+00:00",
            "ends_at": "2030-01-01T23:00:00+00:00",
        }
    )
    assert event.hold_duration_s == InventoryLayout(event_id="evt_1").hold_duration_s
    assert event.hold_duration_s == DEFAULT_HOLD_DURATION_S
