"""Inventory fixtures: layouts, a controllable clock, the service on the real stores."""

from __future__ import annotations

from collections import Counter

import pytest

from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.models import GaArea, InventoryLayout, ReservedSeat
from ticketsafe.inventory.repository import UNITS
from ticketsafe.inventory.service import InventoryService
from ticketsafe.schema import MIGRATIONS


class Clock:
    """Milliseconds, moved by the test (passed to Redis so expiry needs no sleeping)."""

    def __init__(self) -> None:
        self.ms = 1_900_000_000_000

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def seated_layout(
    event_id: str = "evt_1",
    *,
    rows: int = 5,
    per_row: int = 10,
    section: str = "A",
    areas: dict[str, int] | None = None,
    limit: int = 10,
    hold_s: int = 600,
    blocked: frozenset[str] = frozenset(),
) -> InventoryLayout:
    """Rows 1..rows (row 1 nearest the stage at y=0), seats centred on x=0."""
    seats = [
        ReservedSeat(
            seat_id=f"{section}-{r}-{s}",
            section_id=section,
            row=str(r),
            order=s,
            x=s - (per_row + 1) / 2,
            y=float(r),
            category="std",
            blocked=f"{section}-{r}-{s}" in blocked,
        )
        for r in range(1, rows + 1)
        for s in range(1, per_row + 1)
    ]
    ga = [GaArea(area_id=a, capacity=c) for a, c in (areas or {}).items()]
    return InventoryLayout(
        event_id=event_id, seats=seats, areas=ga, per_buyer_limit=limit, hold_duration_s=hold_s
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def inventory(resources: Resources, clock: Clock) -> InventoryService:
    await migrate(resources.db, MIGRATIONS)
    return InventoryService(resources.db, resources.redis, clock=clock)


async def sold_counts(resources: Resources, event_id: str) -> Counter[str]:
    """Unit -> number of sale documents (the `_id` makes >1 impossible; we check anyway)."""
    counts: Counter[str] = Counter()
    async for doc in resources.db[UNITS].find({"event_id": event_id}):
        counts[doc["unit"]] += 1
    return counts
