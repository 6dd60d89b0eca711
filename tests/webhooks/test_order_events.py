"""Organizer webhooks subscribe to order events: an order's announcement, run by the
worker, queues the organization's `order.*` deliveries; `OrderService` does not call
webhooks (the `domains` import contract forbids it: tests/architecture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.orders.conftest import ORG, Sale, sale, worker
from tests.orders.test_checkout import VISA_OK, card
from ticketsafe.infra.resources import Resources
from ticketsafe.orders.events import ANNOUNCED_JOB
from ticketsafe.roles.worker import Worker
from ticketsafe.webhooks.order_events import STALE, reconcile
from ticketsafe.webhooks.service import DELIVER_JOB

__all__ = ["sale", "worker"]

HOOKS = ["order.created", "order.paid", "order.refunded", "order.cancelled"]


async def _subscribe(sale: Sale) -> None:
    r = await sale.client.post(
        f"/orgs/{ORG}/webhooks",
        json={"url": "https://hooks.example.com/ticketsafe", "events": HOOKS},
        headers=sale.organizer,
    )
    assert r.status_code == 201, r.text


async def _paid(sale: Sale, seats: list[str]) -> dict[str, Any]:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": seats})
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert (r.status_code, r.json()["status"]) == (201, "paid"), r.text
    return dict(r.json())


async def _run_announcements_twice(worker: Worker) -> list[dict[str, Any]]:
    """Run every queued announcement twice (at-least-once delivery); nothing else runs
    (the deliveries' POSTs are tests/webhooks/test_outbound's)."""
    await worker.queue.ensure_group()
    jobs = await worker.queue.read(worker.consumer, 50, 20)
    announced = [j for j in jobs if j.name == ANNOUNCED_JOB]
    for job in announced * 2:
        await worker.registry.handlers[ANNOUNCED_JOB](worker.context, **job.args)
    return [j.args for j in announced]


async def _deliveries(resources: Resources, order_id: str) -> list[dict[str, Any]]:
    cursor = resources.db["webhook_deliveries"].find({"payload.data.order_id": order_id})
    return [d async for d in cursor]


async def test_an_announced_paid_order_reaches_the_organizer_webhooks(
    sale: Sale, worker: Worker, resources: Resources
) -> None:
    await _subscribe(sale)
    order = await _paid(sale, ["A:r-1:s-1"])
    # Nothing is written for the organizer on the checkout's path: it is announced.
    assert await _deliveries(resources, order["id"]) == []
    announced = await _run_announcements_twice(worker)
    assert announced == [{"events": ["order_created", "order_paid"], "order_id": order["id"]}]
    deliveries = await _deliveries(resources, order["id"])
    assert sorted((d["event_type"], d["payload"]["data"]["status"]) for d in deliveries) == [
        ("order.created", "pending_payment"),
        ("order.paid", "paid"),
    ]
    assert {d["status"] for d in deliveries} == {"pending"}  # each with its delivery job


async def test_each_refund_reaches_the_organizer_once(
    sale: Sale, worker: Worker, resources: Resources
) -> None:
    """Two partial refunds before the worker runs: two `order.refunded`, each with its
    own amount, however many times their announcements run."""
    await _subscribe(sale)
    order = await _paid(sale, ["A:r-1:s-1", "A:r-1:s-2"])
    for line in order["lines"]:
        refund = await sale.client.post(
            f"/orgs/{ORG}/orders/{order['id']}/refund",
            json={"line_ids": [line["line_id"]], "reason": "asked"},
            headers=sale.organizer,
        )
        assert refund.status_code == 200, refund.text
    await _run_announcements_twice(worker)
    refunds = [
        d for d in await _deliveries(resources, order["id"]) if d["event_type"] == "order.refunded"
    ]
    assert sorted(d["payload"]["data"]["amount_cents"] for d in refunds) == sorted(
        line["unit_cents"] for line in order["lines"]
    )
    assert len({d["payload"]["id"] for d in refunds}) == 2


async def test_a_lost_announcement_is_made_good_by_the_reconcile_once(
    sale: Sale, worker: Worker, resources: Resources
) -> None:
    """The api's announcement job is lost (read off the queue, never run): the periodic
    reconcile stores and queues the order's deliveries once `STALE` has passed, exactly
    once, however many times it and the late original job run."""
    await _subscribe(sale)
    order = await _paid(sale, ["A:r-1:s-1"])
    await worker.queue.ensure_group()
    lost = [j for j in await worker.queue.read(worker.consumer, 50, 20) if j.name == ANNOUNCED_JOB]
    assert [j.args["order_id"] for j in lost] == [order["id"]]
    now = datetime.now(UTC)
    # Not yet: its own job may still be running (and the first pass sets the mark).
    assert await reconcile(resources.db, worker.queue, now) == 0
    assert await _deliveries(resources, order["id"]) == []
    assert await reconcile(resources.db, worker.queue, now + STALE + timedelta(seconds=1)) == 2
    assert await reconcile(resources.db, worker.queue, now + STALE + timedelta(seconds=2)) == 0
    queued = [j for j in await worker.queue.read(worker.consumer, 50, 20) if j.name == DELIVER_JOB]
    deliveries = await _deliveries(resources, order["id"])
    assert sorted(j.args["delivery_id"] for j in queued) == sorted(d["_id"] for d in deliveries)
    for job in lost:  # the original job, run late after all
        await worker.registry.handlers[ANNOUNCED_JOB](worker.context, **job.args)
    deliveries = await _deliveries(resources, order["id"])
    assert sorted(d["event_type"] for d in deliveries) == ["order.created", "order.paid"]
    paid = next(d for d in deliveries if d["event_type"] == "order.paid")
    assert (paid["payload"]["data"]["status"], paid["status"]) == ("paid", "pending")
