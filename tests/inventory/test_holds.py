"""Holds on the real engine: kinds, all-or-nothing, limits, expiry, extension, release."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from tests.inventory.conftest import Clock, seated_layout
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.engine import EventKeys
from ticketsafe.inventory.errors import (
    ExtensionRefused,
    HoldExpired,
    HoldLimitExceeded,
    HoldNotFound,
    NoAdjacentSeats,
    SeatsTaken,
    SoldOut,
    UnknownUnits,
)
from ticketsafe.inventory.models import UnitStatus
from ticketsafe.inventory.service import InventoryService


async def test_hold_chosen_seats_all_or_nothing(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout())
    first = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1", "A-1-2"])
    assert first.seats == ["A-1-1", "A-1-2"]
    with pytest.raises(SeatsTaken) as err:
        await inventory.hold_seats("evt_1", "usr_b", ["A-1-2", "A-1-3"])
    assert err.value.extra["seats"] == ["A-1-2"]
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-3"] is UnitStatus.AVAILABLE  # nothing of the refused hold kept
    assert avail.seats["A-1-2"] is UnitStatus.HELD


async def test_unknown_and_blocked_seats(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout(blocked=frozenset({"A-1-1"})))
    with pytest.raises(UnknownUnits):
        await inventory.hold_seats("evt_1", "usr_a", ["Z-9-9"])
    with pytest.raises(SeatsTaken):
        await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])


async def test_best_available_is_adjacent_front_centre(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout(rows=3, per_row=10))
    hold = await inventory.hold_best("evt_1", "usr_a", "A", 4)
    assert hold.seats == ["A-1-4", "A-1-5", "A-1-6", "A-1-7"]  # row 1, centred


async def test_best_available_skips_sold_out_rows_and_sees_a_freed_seat(
    inventory: InventoryService, resources: Resources
) -> None:
    """Row segments are read in order of their nearest available seat, and full ones not
    at all, so a big section does not re-read its sold front rows per hold; a seat coming
    free in one of them puts it back in front."""
    await inventory.provision_event(seated_layout(rows=4, per_row=4, limit=100))
    segs = "ts:{evt_1}:segs"
    assert await resources.redis.zcard(segs) == 4
    front = [await inventory.hold_best("evt_1", f"usr_{i}", "A", 4) for i in range(2)]
    assert [h.seats[0] for h in front] == ["A-1-1", "A-2-1"]
    third = await inventory.hold_best("evt_1", "usr_3", "A", 2)
    assert third.seats[0].startswith("A-3-")
    left = await resources.redis.zrange(segs, 0, -1, withscores=True)
    assert len(left) == 2  # rows 1 and 2 have nothing left: never read again
    await inventory.release_hold(front[0].hold_id, "usr_0")
    assert await resources.redis.zcard(segs) == 3
    nearest = await resources.redis.zrange(segs, 0, 0, withscores=True)
    assert float(nearest[0][1]) < float(left[0][1])  # row 1 is back, ahead of row 3
    again = await inventory.hold_best("evt_1", "usr_4", "A", 4)
    assert again.seats == ["A-1-1", "A-1-2", "A-1-3", "A-1-4"]  # the front row, free again


async def test_best_available_indexes_a_state_from_before_segments(
    inventory: InventoryService, resources: Resources
) -> None:
    """Redis state written before the segment index existed (no `segs`, no seat fields)
    is indexed on the first best-available hold, from the seats as they stand."""
    await inventory.provision_event(seated_layout(rows=2, per_row=4, limit=100))
    await inventory.hold_seats("evt_1", "usr_x", ["A-1-1", "A-1-2"])
    fields = await resources.redis.hkeys("ts:{evt_1}:rows")
    seat_fields = [f for f in fields if (f if isinstance(f, bytes) else f.encode())[:1] == b"@"]
    await resources.redis.hdel("ts:{evt_1}:rows", *seat_fields)
    await resources.redis.delete("ts:{evt_1}:segs")
    await resources.redis.hdel("ts:{evt_1}:meta", "lv")
    hold = await inventory.hold_best("evt_1", "usr_a", "A", 2)
    assert hold.seats == ["A-1-3", "A-1-4"]
    assert await resources.redis.zcard("ts:{evt_1}:segs") == 1  # row 1 is full now


async def test_best_available_in_a_row_longer_than_one_indexing_batch(
    inventory: InventoryService, resources: Resources
) -> None:
    """A 4,500-seat row: 9,000 values are more than one Lua call can unpack (8,000), so
    its seats are indexed in batches."""
    await inventory.provision_event(seated_layout(rows=1, per_row=4_500, limit=100))
    assert await resources.redis.hget("ts:{evt_1}:rows", "@A-1-4500") is not None
    hold = await inventory.hold_best("evt_1", "usr_a", "A", 2)
    assert hold.seats == ["A-1-2250", "A-1-2251"]  # the centre


async def test_best_available_avoids_single_gaps(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout(rows=2, per_row=6))
    await inventory.hold_seats("evt_1", "usr_x", ["A-1-1"])
    # Row 1 has seats 2..6 free: any 4 of them strand a single seat, so row 2 is taken,
    # and there not 2..5 (a single gap each side) but an end-aligned window.
    hold = await inventory.hold_best("evt_1", "usr_a", "A", 4)
    assert hold.seats == ["A-2-1", "A-2-2", "A-2-3", "A-2-4"]
    one = await inventory.hold_best("evt_1", "usr_b", "A", 5)
    assert one.seats == ["A-1-2", "A-1-3", "A-1-4", "A-1-5", "A-1-6"]


async def test_no_adjacent_vs_sold_out(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout(rows=1, per_row=4, limit=0))
    await inventory.hold_seats("evt_1", "usr_x", ["A-1-2"])
    with pytest.raises(NoAdjacentSeats):
        await inventory.hold_best("evt_1", "usr_a", "A", 3)
    with pytest.raises(SoldOut):
        await inventory.hold_best("evt_1", "usr_a", "A", 4)


async def test_ga_hold_and_sold_out(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout(areas={"floor": 5}, limit=0))
    hold = await inventory.hold_ga("evt_1", "usr_a", "floor", 3)
    assert hold.ga == {"floor": 3}
    with pytest.raises(SoldOut) as err:
        await inventory.hold_ga("evt_1", "usr_b", "floor", 3)
    assert err.value.extra["available"] == 2
    assert (await inventory.availability("evt_1")).ga["floor"].available == 2


async def test_per_buyer_limit_counts_holds_and_sales(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout(limit=4, areas={"floor": 100}))
    h = await inventory.hold_ga("evt_1", "usr_a", "floor", 2)
    await inventory.commit_sale(h.hold_id, "ord_1", "usr_a")
    await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    with pytest.raises(HoldLimitExceeded) as err:
        await inventory.hold_ga("evt_1", "usr_a", "floor", 2)
    assert err.value.extra == {"limit": 4, "current": 3}
    await inventory.hold_ga("evt_1", "usr_a", "floor", 1)


async def test_expiry_returns_units(inventory: InventoryService, clock: Clock) -> None:
    await inventory.provision_event(seated_layout(hold_s=60, areas={"floor": 2}))
    seat = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    ga = await inventory.hold_ga("evt_1", "usr_a", "floor", 2)
    clock.advance(61)
    report = await inventory.sweep()
    assert report.released == 2
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-1"] is UnitStatus.AVAILABLE
    assert avail.ga["floor"].available == 2
    for hold_id in (seat.hold_id, ga.hold_id):
        with pytest.raises(HoldExpired):
            await inventory.commit_sale(hold_id, "ord_1", "usr_a")


async def test_extend_once_in_warning_window(inventory: InventoryService, clock: Clock) -> None:
    await inventory.provision_event(seated_layout(hold_s=600))
    hold = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    with pytest.raises(ExtensionRefused) as early:
        await inventory.extend_hold(hold.hold_id, "usr_a")
    assert early.value.extra["reason"] == "not_in_warning_window"
    clock.advance(500)
    extended = await inventory.extend_hold(hold.hold_id, "usr_a")
    assert extended.extended
    assert extended.expires_at_ms == clock.ms + 600_000
    clock.advance(590)
    with pytest.raises(ExtensionRefused):
        await inventory.extend_hold(hold.hold_id, "usr_a")
    clock.advance(11)
    with pytest.raises(HoldExpired):
        await inventory.extend_hold(hold.hold_id, "usr_a")


async def test_release_by_buyer_only(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout())
    hold = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    with pytest.raises(HoldNotFound):
        await inventory.release_hold(hold.hold_id, "usr_b")
    await inventory.release_hold(hold.hold_id, "usr_a")
    assert (await inventory.availability("evt_1")).seats["A-1-1"] is UnitStatus.AVAILABLE
    with pytest.raises(HoldExpired):
        await inventory.release_hold(hold.hold_id, "usr_a")


async def test_reprovision_keeps_held_and_sold(
    inventory: InventoryService, resources: Resources
) -> None:
    await inventory.provision_event(seated_layout(areas={"floor": 3}))
    held = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    sold = await inventory.hold_seats("evt_1", "usr_b", ["A-1-2"])
    await inventory.commit_sale(sold.hold_id, "ord_b", "usr_b")
    await inventory.hold_ga("evt_1", "usr_c", "floor", 2)
    layout = seated_layout(areas={"floor": 10}, blocked=frozenset({"A-1-1", "A-1-3"}))
    await inventory.provision_event(layout)
    await inventory.provision_event(layout)
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-1"] is UnitStatus.HELD
    assert avail.seats["A-1-2"] is UnitStatus.SOLD
    assert avail.seats["A-1-3"] is UnitStatus.BLOCKED
    assert avail.ga["floor"].available == 8
    await inventory.release_hold(held.hold_id, "usr_a")
    assert (await inventory.availability("evt_1")).seats["A-1-1"] is UnitStatus.BLOCKED


async def test_availability_version_and_delta(
    inventory: InventoryService, resources: Resources
) -> None:
    await inventory.provision_event(seated_layout())
    v0 = (await inventory.availability("evt_1")).version
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe("ts:{evt_1}:changes")
    await pubsub.get_message(timeout=1)  # subscribe confirmation
    await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    assert msg is not None
    delta = orjson.loads(msg["data"])
    assert delta == {"v": v0 + 1, "seats": {"A-1-1": "held"}}
    assert (await inventory.availability("evt_1")).version == v0 + 1


async def test_concurrent_sweeps_release_each_hold_once(
    inventory: InventoryService, clock: Clock, resources: Resources
) -> None:
    """Several workers sweeping at once (or a sweep re-run after a crash) only find less
    to do: every hold is released exactly once, counts never go negative."""
    await inventory.provision_event(seated_layout(hold_s=60, limit=0, areas={"floor": 600}))
    for i in range(600):
        await inventory.hold_ga("evt_1", f"usr_{i % 7}", "floor", 1)
    clock.advance(61)
    others = [InventoryService(resources.db, resources.redis, clock=clock) for _ in range(3)]
    reports = await asyncio.gather(*(svc.sweep(batch=50) for svc in [inventory, *others]))
    assert sum(r.released for r in reports) == 600
    assert (await inventory.availability("evt_1")).ga["floor"].available == 600
    assert await resources.redis.hlen("ts:{evt_1}:buyers") == 0


async def test_supply_counts_follow_holds_sales_releases_and_layout(
    inventory: InventoryService, resources: Resources, clock: Clock
) -> None:
    """What the waiting room's sold-out pause reads: available units and live holds."""
    layout = seated_layout(rows=1, per_row=4, areas={"floor": 3}, blocked=frozenset({"A-1-4"}))

    async def left() -> tuple[int, int]:
        supply = await inventory.supply("evt_1")
        return supply.available, supply.holds

    await inventory.provision_event(layout)
    assert await left() == (3 + 3, 0)  # the blocked seat is not available
    await inventory.hold_seats("evt_1", "usr_a", ["A-1-1", "A-1-2"])
    ga = await inventory.hold_ga("evt_1", "usr_b", "floor", 3)
    assert await left() == (1, 2)
    await inventory.commit_sale(ga.hold_id, "ord_1", "usr_b")
    last = await inventory.hold_seats("evt_1", "usr_c", ["A-1-3"])
    assert await left() == (0, 2)
    await inventory.release_hold(last.hold_id, "usr_c")
    assert await left() == (1, 1)
    clock.advance(layout.hold_duration_s + 1)
    await inventory.sweep()
    assert await left() == (3, 0)  # the seats' hold expired with the sweep
    # A state written before the counter existed is counted on first use.
    await resources.redis.hdel(f"{EventKeys('evt_1').prefix}:meta", "sa")
    assert await left() == (3, 0)
    await inventory.hold_seats("evt_1", "usr_d", ["A-1-1"])
    assert await left() == (2, 1)
