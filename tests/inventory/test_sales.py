"""Sales in MongoDB: commit, idempotent retry, refund, and recovery from lost Redis state."""

from __future__ import annotations

import pytest

from tests.inventory.conftest import Clock, seated_layout, sold_counts
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.errors import HoldCommitting, HoldExpired, SeatsTaken
from ticketsafe.inventory.models import SaleItems, UnitStatus
from ticketsafe.inventory.service import InventoryService


async def test_commit_marks_sold_and_is_idempotent(
    inventory: InventoryService, resources: Resources
) -> None:
    await inventory.provision_event(seated_layout(areas={"floor": 10}))
    hold = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1", "A-1-2"])
    sale = await inventory.commit_sale(hold.hold_id, "ord_1", "usr_a")
    assert sale.seats == ["A-1-1", "A-1-2"]
    again = await inventory.commit_sale(hold.hold_id, "ord_1", "usr_a")
    assert again == sale
    with pytest.raises(HoldExpired):
        await inventory.commit_sale(hold.hold_id, "ord_other", "usr_a")
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-1"] is UnitStatus.SOLD
    assert await sold_counts(resources, "evt_1") == {"A-1-1": 1, "A-1-2": 1}


async def test_committing_hold_cannot_be_released(inventory: InventoryService) -> None:
    await inventory.provision_event(seated_layout())
    hold = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    await inventory._call("evt_1", "commit_begin", hold.hold_id, "usr_a", "ord_1", 30_000)
    with pytest.raises(HoldCommitting):
        await inventory.release_hold(hold.hold_id, "usr_a")
    with pytest.raises(HoldCommitting):
        await inventory.commit_sale(hold.hold_id, "ord_2", "usr_a")
    sale = await inventory.commit_sale(hold.hold_id, "ord_1", "usr_a")  # the same order: ok
    assert sale.order_id == "ord_1"


async def test_refund_returns_units_at_once(
    inventory: InventoryService, resources: Resources
) -> None:
    await inventory.provision_event(seated_layout(areas={"floor": 3}, limit=5))
    seats = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1", "A-1-2"])
    await inventory.commit_sale(seats.hold_id, "ord_1", "usr_a")
    ga = await inventory.hold_ga("evt_1", "usr_a", "floor", 3)
    await inventory.commit_sale(ga.hold_id, "ord_2", "usr_a")
    assert await inventory.release_sale("ord_1", SaleItems(seats=["A-1-2"])) == 1
    assert await inventory.release_sale("ord_2", SaleItems(ga={"floor": 2})) == 2
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-1"] is UnitStatus.SOLD
    assert avail.seats["A-1-2"] is UnitStatus.AVAILABLE
    assert avail.ga["floor"].available == 2
    assert await inventory.release_sale("ord_1") == 1
    assert await inventory.release_sale("ord_1") == 0
    # the buyer's count went down with the refunds: 5 allowed again minus 1 GA still sold
    await inventory.hold_seats("evt_1", "usr_a", ["A-2-1", "A-2-2", "A-2-3", "A-2-4"])


async def test_flushall_rebuilds_from_mongodb(
    inventory: InventoryService, resources: Resources
) -> None:
    await inventory.provision_event(seated_layout(areas={"floor": 4}, limit=0))
    sold = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    await inventory.commit_sale(sold.hold_id, "ord_1", "usr_a")
    ga = await inventory.hold_ga("evt_1", "usr_a", "floor", 3)
    await inventory.commit_sale(ga.hold_id, "ord_2", "usr_a")
    lost = await inventory.hold_seats("evt_1", "usr_b", ["A-1-2"])
    await resources.redis.flushall()
    avail = await inventory.availability("evt_1")  # rebuilt on first touch
    assert avail.seats["A-1-1"] is UnitStatus.SOLD
    assert avail.seats["A-1-2"] is UnitStatus.AVAILABLE  # the lost hold vanished
    assert avail.ga["floor"].available == 1
    with pytest.raises(HoldExpired):
        await inventory.commit_sale(lost.hold_id, "ord_3", "usr_b")


async def test_stale_redis_cannot_sell_twice(
    inventory: InventoryService, resources: Resources
) -> None:
    """A sale written to MongoDB while Redis had lost it (the in-flight window of a flush)
    makes the next buyer's commit fail with the seat listed, never a second sale."""
    await inventory.provision_event(seated_layout())
    first = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1", "A-1-5"])
    units = await inventory._call("evt_1", "commit_begin", first.hold_id, "usr_a", "ord_1", 30_000)
    await resources.redis.flushall()
    await inventory.availability("evt_1")  # rebuilt before the in-flight write lands
    await inventory.repo.insert_sold(
        "evt_1", units.texts(), order_id="ord_1", hold_id=first.hold_id, buyer_id="usr_a"
    )
    second = await inventory.hold_seats("evt_1", "usr_b", ["A-1-1", "A-1-2"])  # stale view
    with pytest.raises(SeatsTaken) as err:
        await inventory.commit_sale(second.hold_id, "ord_2", "usr_b")
    assert err.value.extra["seats"] == ["A-1-1"]
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-1"] is UnitStatus.SOLD  # Redis learnt the truth
    assert avail.seats["A-1-2"] is UnitStatus.AVAILABLE  # the refused hold was released
    assert await sold_counts(resources, "evt_1") == {"A-1-1": 1, "A-1-5": 1}


async def test_sweep_reconciles_a_commit_whose_caller_died(
    inventory: InventoryService, resources: Resources, clock: Clock
) -> None:
    await inventory.provision_event(seated_layout())
    done = await inventory.hold_seats("evt_1", "usr_a", ["A-1-1"])
    torn = await inventory.hold_seats("evt_1", "usr_b", ["A-1-2", "A-1-3"])
    none = await inventory.hold_seats("evt_1", "usr_c", ["A-1-4"])
    for hold, order in ((done, "ord_a"), (torn, "ord_b"), (none, "ord_c")):
        await inventory._call("evt_1", "commit_begin", hold.hold_id, hold.buyer_id, order, 30_000)
    # The callers "die": one after its full write, one half way, one before writing.
    await inventory.repo.insert_sold(
        "evt_1", ["A-1-1"], order_id="ord_a", hold_id=done.hold_id, buyer_id="usr_a"
    )
    await inventory.repo.insert_sold(
        "evt_1", ["A-1-2"], order_id="ord_b", hold_id=torn.hold_id, buyer_id="usr_b"
    )
    clock.advance(10)
    assert (await inventory.sweep()).reconciled == 0  # still within the commit grace
    clock.advance(25)
    report = await inventory.sweep()
    assert report.reconciled == 3
    avail = await inventory.availability("evt_1")
    assert avail.seats["A-1-1"] is UnitStatus.SOLD
    assert [avail.seats[s] for s in ("A-1-2", "A-1-3", "A-1-4")] == [UnitStatus.AVAILABLE] * 3
    assert await sold_counts(resources, "evt_1") == {"A-1-1": 1}
    assert (await inventory.commit_sale(done.hold_id, "ord_a", "usr_a")).seats == ["A-1-1"]
    with pytest.raises(HoldExpired):  # sold, but to another order than this caller's
        await inventory.commit_sale(done.hold_id, "ord_z", "usr_a")
