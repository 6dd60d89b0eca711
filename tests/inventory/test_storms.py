"""Flash crowds on the real stores: many concurrent buyers, never a unit sold twice."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.inventory.conftest import seated_layout, sold_counts
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.errors import (
    HoldLimitExceeded,
    InventoryBusy,
    NoAdjacentSeats,
    SeatsTaken,
    SoldOut,
)
from ticketsafe.inventory.models import GaArea, InventoryLayout, UnitStatus
from ticketsafe.inventory.service import InventoryService

pytestmark = pytest.mark.slow


async def test_500_buyers_race_for_100_seats(
    inventory: InventoryService, resources: Resources
) -> None:
    await inventory.provision_event(seated_layout(rows=10, per_row=10, limit=4))
    seat_ids = [f"A-{r}-{s}" for r in range(1, 11) for s in range(1, 11)]
    rng = random.Random(7)
    sold_to: dict[str, list[str]] = {}

    async def buyer(i: int) -> None:
        me = f"usr_{i}"
        want = rng.randint(1, 2)
        for attempt in range(40):
            try:
                if i % 2:
                    hold = await inventory.hold_best("evt_1", me, "A", want)
                else:  # pick from the seat map, as a person would (it may be stale)
                    avail = await inventory.availability("evt_1")
                    free = [s for s, st in avail.seats.items() if st is UnitStatus.AVAILABLE]
                    if not free:
                        return
                    hold = await inventory.hold_seats("evt_1", me, rng.sample(free, 1))
            except NoAdjacentSeats:
                want = 1
                continue
            except (SeatsTaken, InventoryBusy):
                await asyncio.sleep(0.001 * attempt)
                continue
            except (SoldOut, HoldLimitExceeded):
                return
            sale = await inventory.commit_sale(hold.hold_id, f"ord_{i}_{attempt}", me)
            sold_to[sale.order_id] = sale.seats

    gate = asyncio.Semaphore(400)  # the Redis pool allows 512 connections per process

    async def limited(i: int) -> None:
        async with gate:
            await buyer(i)

    await asyncio.gather(*(limited(i) for i in range(500)))
    counts = await sold_counts(resources, "evt_1")
    assert len(counts) == 100
    assert set(counts.values()) == {1}
    every_sold = [s for seats in sold_to.values() for s in seats]
    assert sorted(every_sold) == sorted(seat_ids)  # each seat in exactly one answered sale
    avail = await inventory.availability("evt_1")
    assert set(avail.seats.values()) == {UnitStatus.SOLD}


async def test_5000_buyers_for_1000_ga(inventory: InventoryService, resources: Resources) -> None:
    layout = InventoryLayout(
        event_id="evt_ga", areas=[GaArea(area_id="floor", capacity=1000)], per_buyer_limit=2
    )
    await inventory.provision_event(layout)
    answers: list[str] = []

    async def buyer(i: int) -> None:
        try:
            hold = await inventory.hold_ga("evt_ga", f"usr_{i}", "floor", 1)
        except SoldOut:
            answers.append("sold_out")
            return
        await inventory.commit_sale(hold.hold_id, f"ord_{i}", f"usr_{i}")
        answers.append("sold")

    gate = asyncio.Semaphore(400)

    async def limited(i: int) -> None:
        async with gate:
            await buyer(i)

    await asyncio.gather(*(limited(i) for i in range(5000)))
    assert answers.count("sold") == 1000
    assert answers.count("sold_out") == 4000
    counts = await sold_counts(resources, "evt_ga")
    assert len(counts) == 1000
    assert set(counts.values()) == {1}
    assert (await inventory.availability("evt_ga")).ga["floor"].available == 0


async def test_mongodb_guard_alone_refuses_double_sales(
    inventory: InventoryService, resources: Resources
) -> None:
    """Even with Redis out of the picture (as if it had lied), 200 concurrent sales of the
    same 10 seats leave exactly one owner per seat."""
    seats = [f"A-1-{s}" for s in range(1, 11)]
    rng = random.Random(3)

    async def sell(i: int) -> list[str]:
        mine = rng.sample(seats, 3)
        outcome = await inventory.repo.insert_sold(
            "evt_x", mine, order_id=f"ord_{i}", hold_id=f"hld_{i}", buyer_id=f"usr_{i}"
        )
        if len(outcome.inserted) != len(mine):
            await inventory.repo.delete_units_of_hold("evt_x", outcome.inserted, f"hld_{i}")
            return []
        return mine

    won = await asyncio.gather(*(sell(i) for i in range(200)))
    counts = await sold_counts(resources, "evt_x")
    assert set(counts.values()) <= {1}
    assert sorted(s for w in won for s in w) == sorted(counts)
