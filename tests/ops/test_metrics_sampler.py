"""The worker's metrics sampler reads the stores: the oversell detector counts units
MongoDB holds as sold beyond an event's capacity, and the job backlog is read from the
queue's lanes."""

from __future__ import annotations

import time

from prometheus_client import REGISTRY

from tests.inventory.conftest import seated_layout
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.repository import InventoryRepository
from ticketsafe.inventory.service import InventoryService
from ticketsafe.ops.tasks import sample_stores
from ticketsafe.schema import MIGRATIONS


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_the_detector_reads_zero_while_sales_fit_and_counts_units_beyond(
    resources: Resources,
) -> None:
    await migrate(resources.db, MIGRATIONS)
    inventory = InventoryService(resources.db, resources.redis)
    await inventory.provision_event(
        seated_layout("evt_over", rows=1, per_row=2, areas={"pista": 2})
    )
    repo = InventoryRepository(resources.db)
    sold = {"order_id": "ord_1", "hold_id": "hld_1", "buyer_id": "usr_1"}
    await repo.insert_sold("evt_over", ["A-1-1", "ga:pista:0", "ga:pista:1"], **sold)
    await sample_stores(resources.queue, InventoryService(resources.db, resources.redis))
    assert _value("ticketsafe_inventory_oversold_units") == 0
    # A sale the guards should have refused (as a bug or a manual write would leave it):
    # two more GA units than the area has, on top of a full one.
    await repo.insert_sold("evt_over", ["A-1-2", "ga:pista:2", "ga:pista:3"], **sold)
    before = time.time()
    await sample_stores(resources.queue, InventoryService(resources.db, resources.redis))
    assert _value("ticketsafe_inventory_oversold_units") == 2
    checked = _value("ticketsafe_inventory_oversell_checked_timestamp_seconds")
    assert checked is not None
    assert checked >= before


async def test_the_backlog_is_read_per_lane(resources: Resources) -> None:
    await resources.queue.ensure_group()
    for i in range(3):
        await resources.queue.enqueue("mail.send", {"mail_id": f"m{i}"})
    await resources.queue.enqueue("payments.changed", {"payment_id": "p"}, urgent=True)
    await resources.queue.enqueue("mail.send", {"mail_id": "later"}, delay_s=60)
    await sample_stores(resources.queue, InventoryService(resources.db, resources.redis))
    assert _value("ticketsafe_job_queue_depth", lane="normal") == 3
    assert _value("ticketsafe_job_queue_depth", lane="urgent") == 1
    assert _value("ticketsafe_job_queue_delayed") == 1
    age = _value("ticketsafe_job_queue_oldest_age_seconds", lane="normal")
    assert age is not None
    assert 0 <= age < 30
