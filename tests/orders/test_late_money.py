"""Money that arrives for an order holding no live sale is returned (invariant 7): at
once when the payment's news arrives, else by the periodic reconciliation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests import psp
from tests.orders.conftest import Sale, run_jobs
from tests.orders.test_checkout import VISA_OK, card, seat_status
from tests.orders.test_lifecycle import (
    _card_order_stopped_after_the_charge,
    _pay_pix,
    paid_order,
)
from ticketsafe.infra.errors import Conflict
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.orders import late_money
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import periodic_tasks

REFUNDED = late_money.LATE_MONEY_REFUNDED


async def _pix_order(sale: Sale, user: str, seat: str) -> dict[str, Any]:
    hold = await sale.hold(sale.buyer(user), {"kind": "seats", "seat_ids": [seat]})
    r = await sale.checkout(sale.buyer(user), hold, method="pix")
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _cancel(sale: Sale, user: str, order_id: str) -> None:
    r = await sale.client.post(
        f"/orders/{order_id}/cancel", json={"reason": "changed my mind"},
        headers=sale.buyer(user),
    )  # fmt: skip
    assert r.status_code == 200, r.text


async def _status(sale: Sale, user: str, order_id: str) -> tuple[str, str]:
    got = (await sale.client.get(f"/orders/{order_id}", headers=sale.buyer(user))).json()
    return got["status"], got["payment"]["status"]


async def charge_of(resources: Resources, order_id: str) -> str:
    payment = await resources.db["payments"].find_one({"order_id": order_id})
    assert payment is not None
    return str(payment["provider_ref"])


async def psp_events(resources: Resources, order_id: str, kind: str) -> list[str]:
    """Ids of the events of this kind the PSP emitted for the order's charge."""
    return await psp.events(resources.settings, await charge_of(resources, order_id), kind)


async def psp_refunds(resources: Resources, order_id: str) -> tuple[int, int]:
    """(refund events the PSP emitted for the order's charge, cents it refunded)."""
    charge = await psp.charge(resources.settings, await charge_of(resources, order_id))
    return len(await psp_events(resources, order_id, "charge.refunded")), charge["refunded_cents"]


async def _pay_pix_unreported(sale: Sale, resources: Resources, order_id: str) -> None:
    """The buyer pays the order's PIX; the PSP's webhook is lost in transit."""
    await psp.control(resources.settings, await charge_of(resources, order_id), drop_webhooks=True)
    await _pay_pix(sale, resources, order_id)


async def _settled(resources: Resources, order_id: str) -> None:
    """The order last changed long enough ago for the reconciliation to look at it."""
    past = datetime.now(UTC) - late_money.RECONCILE_GRACE - timedelta(seconds=1)
    await resources.db["orders"].update_one({"_id": order_id}, {"$set": {"updated_at": past}})


async def _reconcile(worker: Worker, settings: Settings) -> None:
    """One pass of the worker's periodic reconciliation, as registered."""
    services = Services.build(worker.resources)
    (task,) = [t for t in periodic_tasks(services) if t.name == "orders.reconcile_money"]
    await task.run(worker.context)
    await run_jobs(worker)


async def test_a_pix_order_cancelled_then_paid_is_refunded(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    order = await _pix_order(sale, "usr_1", "A:r-1:s-1")
    await _cancel(sale, "usr_1", order["id"])
    await _pay_pix(sale, resources, order["id"])
    await run_jobs(worker)
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "refunded")
    assert await psp_refunds(resources, order["id"]) == (1, 10_000)
    entry = await resources.db["audit_log"].find_one({"subject": order["id"], "action": REFUNDED})
    assert entry is not None
    assert entry["data"]["amount_cents"] == 10_000
    assert await seat_status(sale, "A:r-1:s-1") == "available"


async def test_a_pix_paid_after_its_event_was_cancelled_is_refunded(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    order = await _pix_order(sale, "usr_1", "A:r-1:s-1")
    r = await sale.client.post(
        f"/events/{sale.event_id}/status", json={"status": "cancelled"}, headers=sale.organizer
    )
    assert r.status_code == 200, r.text
    await run_jobs(worker)  # the event's refunds: the unpaid order is cancelled
    await _pay_pix(sale, resources, order["id"])
    await run_jobs(worker)
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "refunded")
    assert await psp_refunds(resources, order["id"]) == (1, 10_000)


async def test_a_webhook_delivered_twice_refunds_once(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    order = await _pix_order(sale, "usr_1", "A:r-1:s-2")
    await _cancel(sale, "usr_1", order["id"])
    await _pay_pix_unreported(sale, resources, order["id"])  # delivered below, by hand
    (event_id,) = await psp_events(resources, order["id"], "pix.received")
    settings = resources.settings
    await asyncio.gather(*(psp.deliver(settings, event_id) for _ in range(3)))
    await run_jobs(worker)
    await resources.redis.delete(f"ts:webhooks:seen:sandbox:{event_id}")
    assert await psp.deliver(settings, event_id)  # again, its replay guard forgotten
    await run_jobs(worker)
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "refunded")
    assert await psp_refunds(resources, order["id"]) == (1, 10_000)
    assert await resources.db["audit_log"].count_documents({"action": REFUNDED}) == 1


async def test_a_retried_checkout_of_a_cancelled_order_returns_its_money(
    sale: Sale, resources: Resources
) -> None:
    """The checkout died after the card was charged (no job announces that charge: the
    checkout reacts to it itself), the buyer cancelled the order it left pending, then
    retried the checkout: the retry finds the money and returns it."""
    buyer, hold, order = await _card_order_stopped_after_the_charge(sale, resources, "A:r-2:s-5")
    await _cancel(sale, "usr_1", order["id"])
    retry = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert retry.status_code in (200, 201), retry.text
    got = retry.json()
    assert (got["status"], got["payment"]["status"]) == ("cancelled", "refunded")
    assert await psp_refunds(resources, order["id"]) == (1, 10_000)
    assert await seat_status(sale, "A:r-2:s-5") == "available"


async def test_reconciliation_refunds_money_no_webhook_reported(
    sale: Sale, resources: Resources, worker: Worker, settings: Settings
) -> None:
    """The PIX of a cancelled order is paid and its webhook lost: our books show the
    payment voided, the PSP holds the money. The periodic pass asks the PSP and refunds."""
    order = await _pix_order(sale, "usr_1", "A:r-1:s-3")
    await _cancel(sale, "usr_1", order["id"])
    await _pay_pix_unreported(sale, resources, order["id"])
    await _reconcile(worker, settings)
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "voided")  # too recent
    await _settled(resources, order["id"])
    await _reconcile(worker, settings)
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "refunded")
    assert await psp_refunds(resources, order["id"]) == (1, 10_000)
    entry = await resources.db["audit_log"].find_one({"subject": order["id"], "action": REFUNDED})
    assert entry is not None
    assert entry["actor"] == "system:reconciliation"


async def test_a_refund_the_psp_refused_is_made_by_the_reconciliation(
    sale: Sale, resources: Resources, worker: Worker, settings: Settings
) -> None:
    order = await _pix_order(sale, "usr_1", "A:r-2:s-4")
    await _cancel(sale, "usr_1", order["id"])
    charge_id = await charge_of(resources, order["id"])
    await psp.control(settings, charge_id, refuse_refunds=True)
    await _pay_pix(sale, resources, order["id"])
    assert (await psp.charge(settings, charge_id))["state"] == "captured"
    with pytest.raises(Conflict):
        await run_jobs(worker)  # the reaction's refund fails; the queue would retry it
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "captured")
    await psp.control(settings, charge_id)  # the PSP refunds again
    await _settled(resources, order["id"])
    await _reconcile(worker, settings)
    assert await _status(sale, "usr_1", order["id"]) == ("cancelled", "refunded")
    assert await psp_refunds(resources, order["id"]) == (1, 10_000)


async def test_reconciliation_refunds_a_refunded_order_whose_payment_kept_the_money(
    sale: Sale, resources: Resources, worker: Worker, settings: Settings
) -> None:
    """An organizer's refund writes the order, then refunds the payment: a crash in
    between leaves a refunded order whose payment holds the money. Paid orders nearby
    are left alone."""
    kept = await paid_order(sale, "usr_2", ["A:r-2:s-1"])
    order = await paid_order(sale, "usr_1", ["A:r-2:s-2"])
    await resources.db["orders"].update_one({"_id": order["id"]}, {"$set": {"status": "refunded"}})
    await _settled(resources, order["id"])
    await _settled(resources, kept["id"])
    await _reconcile(worker, settings)
    assert await _status(sale, "usr_1", order["id"]) == ("refunded", "refunded")
    assert await _status(sale, "usr_2", kept["id"]) == ("paid", "captured")
    assert await psp_refunds(resources, kept["id"]) == (0, 0)


async def test_reconciliation_run_concurrently_refunds_once(
    sale: Sale, resources: Resources, worker: Worker, settings: Settings
) -> None:
    orders = [await _pix_order(sale, f"usr_{i}", f"A:r-1:s-{i}") for i in (4, 5)]
    for i, order in zip((4, 5), orders, strict=True):
        await _cancel(sale, f"usr_{i}", order["id"])
        await _pay_pix_unreported(sale, resources, order["id"])
        await _settled(resources, order["id"])
    ctx = ProviderContext(resources.db, resources.redis, JobBuffer(), settings, resources.http)
    counts = await asyncio.gather(*(late_money.reconcile(ctx, batch=n) for n in (1, 1, 2, 200)))
    assert sum(counts) == 2
    assert await late_money.reconcile(ctx, batch=1) == 0
    for order in orders:
        assert await psp_refunds(resources, order["id"]) == (1, 10_000)
        entries = {"subject": order["id"], "action": REFUNDED}
        assert await resources.db["audit_log"].count_documents(entries) == 1


async def test_the_reconciliation_interval_is_a_setting(settings: Settings) -> None:
    tuned = Resources.open(settings.model_copy(update={"payments_reconcile_interval_s": 42.0}))
    try:
        services = Services.build(tuned)
        (task,) = [t for t in periodic_tasks(services) if t.name == "orders.reconcile_money"]
        assert task.interval_s == 42.0
    finally:
        await tuned.close()
