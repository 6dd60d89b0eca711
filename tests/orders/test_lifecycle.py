"""After checkout: refunds, expiry, late payments, organizer views, reconciliation."""

from __future__ import annotations

import asyncio
import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests import psp
from tests.members import add_member
from tests.orders.conftest import Sale, bearer, open_sale, run_jobs
from tests.orders.test_checkout import VISA_DECLINED, VISA_OK, card, seat_status
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.errors import InventoryBusy
from ticketsafe.inventory.service import InventoryService
from ticketsafe.orders.repository import checkout_payment_id, order_id_for
from ticketsafe.payments.processors.sandbox import PspUnavailable, SandboxProcessor
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import periodic_tasks


async def paid_order(sale: Sale, user: str, seats: list[str]) -> dict[str, Any]:
    buyer = sale.buyer(user)
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": seats})
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert r.json()["status"] == "paid", r.text
    return dict(r.json())


async def test_partial_then_full_refund_returns_seats_and_money(
    sale: Sale, resources: Resources
) -> None:
    order = await paid_order(sale, "usr_1", ["A:r-1:s-1", "A:r-1:s-2"])
    first_line = order["lines"][0]
    url = f"/orgs/org_a/orders/{order['id']}/refund"
    part = await sale.client.post(
        url, json={"line_ids": [first_line["line_id"]], "reason": "pedido do cliente"},
        headers=sale.organizer,
    )  # fmt: skip
    assert part.status_code == 200, part.text
    assert (part.json()["status"], part.json()["refunded_cents"]) == ("partially_refunded", 10_000)
    assert await seat_status(sale, first_line["seat_id"]) == "available"
    assert await seat_status(sale, order["lines"][1]["seat_id"]) == "sold"
    full = await sale.client.post(url, json={"reason": "evento adiado"}, headers=sale.organizer)
    assert (full.json()["status"], full.json()["refunded_cents"]) == ("refunded", 20_000)
    again = await sale.client.post(url, json={"reason": "de novo"}, headers=sale.organizer)
    assert again.status_code == 409
    payment = await resources.db["payments"].find_one({"order_id": order["id"]})
    assert payment is not None
    assert (payment["captured_cents"], payment["refunded_cents"]) == (20_000, 20_000)


async def test_refund_by_another_organization_is_refused(sale: Sale) -> None:
    order = await paid_order(sale, "usr_1", ["A:r-2:s-1"])
    await add_member(sale.app.state.resources, "org_x", "usr_x")
    intruder = bearer(sale.app, Principal("usr_x", frozenset({Role.ORGANIZER})))
    for url in (
        f"/orgs/org_x/orders/{order['id']}/refund",
        f"/orgs/org_a/orders/{order['id']}/refund",
    ):
        r = await sale.client.post(url, json={"reason": "x"}, headers=intruder)
        assert r.status_code == 404
    listed = await sale.client.get("/orgs/org_a/orders", headers=intruder)
    assert listed.status_code == 404
    export = await sale.client.get(
        f"/orgs/org_a/events/{sale.event_id}/attendees.csv", headers=intruder
    )
    assert export.status_code == 404
    assert await seat_status(sale, "A:r-2:s-1") == "sold"


async def expired_pix_order(
    sale: Sale, resources: Resources, worker: Worker, seat: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """A PIX order for one seat whose payment deadline passed and which the worker expired."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": [seat]})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    await _overdue(resources, order["id"])
    await _expire(worker)
    return buyer, dict(order)


async def test_unpaid_order_expires_and_releases_its_seats(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    buyer, order = await expired_pix_order(sale, resources, worker, "A:r-1:s-3")
    got = await sale.client.get(f"/orders/{order['id']}", headers=buyer)
    assert (got.json()["status"], got.json()["payment"]["status"]) == ("expired", "voided")
    assert await seat_status(sale, "A:r-1:s-3") == "available"


async def test_an_order_whose_sale_was_never_flagged_still_releases_it(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """A crash after the sale was committed but before the order recorded it: at the
    deadline the worker releases the seats all the same."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-4"]})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    await resources.db["orders"].update_one(
        {"_id": order["id"]}, {"$set": {"sale_committed": False}}
    )
    assert await seat_status(sale, "A:r-1:s-4") == "sold"
    await _overdue(resources, order["id"])
    await _expire(worker)
    assert await seat_status(sale, "A:r-1:s-4") == "available"
    assert await resources.db["inventory_units"].count_documents({"order_id": order["id"]}) == 0


async def test_late_pix_payment_is_refunded_even_when_seats_are_free(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """An expired order stays expired: money arriving after it is returned, not turned
    into a sale that skipped the waiting room, the limits and the sale's own state."""
    buyer, order = await expired_pix_order(sale, resources, worker, "A:r-1:s-4")
    await _pay_pix(sale, resources, order["id"])
    await run_jobs(worker)
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert (got["status"], got["payment"]["status"]) == ("expired", "refunded")
    assert await seat_status(sale, "A:r-1:s-4") == "available"


async def test_late_pix_payment_is_refunded_when_seats_are_gone(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    buyer, order = await expired_pix_order(sale, resources, worker, "A:r-1:s-5")
    await paid_order(sale, "usr_2", ["A:r-1:s-5"])  # someone else bought the seat meanwhile
    await _pay_pix(sale, resources, order["id"])
    await run_jobs(worker)
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert (got["status"], got["payment"]["status"]) == ("expired", "refunded")
    audit = await resources.db["audit_log"].find_one(
        {"subject": order["id"], "action": "order.late_payment_refunded"}
    )
    assert audit is not None


async def test_csv_export_decrypts_for_the_organizer_and_is_audited(
    sale: Sale, resources: Resources
) -> None:
    order = await paid_order(sale, "usr_1", ["A:r-2:s-2"])
    r = await sale.client.get(
        f"/orgs/org_a/events/{sale.event_id}/attendees.csv", headers=sale.organizer
    )
    assert r.status_code == 200
    rows = r.text.strip().splitlines()
    assert rows[0].startswith("order_id,status")
    assert order["id"] in rows[1]
    assert "Ana Souza" in rows[1]
    assert "ana@example.com.br" in rows[1]
    assert await resources.db["audit_log"].count_documents({"action": "orders.exported"}) == 1


async def test_orders_hold_no_plaintext_personal_data(sale: Sale, resources: Resources) -> None:
    await paid_order(sale, "usr_1", ["A:r-2:s-3"])
    for name in ("orders", "payments", "mail_outbox", "audit_log"):
        async for doc in resources.db[name].find():
            text = str(doc)
            assert "Ana Souza" not in text
            assert "ana@example.com.br" not in text
            assert "4242424242424242" not in text


async def test_money_and_tickets_reconcile_after_random_outcomes(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """Random mix of methods and outcomes; then for every order:
    captured − refunded = value of its valid tickets (0 unless paid)."""
    rng = random.Random(7)
    seats = [f"A:r-{r}:s-{s}" for r in (1, 2) for s in range(1, 6)]
    for i, seat in enumerate(seats):
        buyer = sale.buyer(f"usr_{i}")
        hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": [seat]})
        choice = rng.choice(["ok", "declined", "pix_paid", "pix_unpaid", "refund"])
        if choice in ("ok", "refund", "declined"):
            number = VISA_DECLINED if choice == "declined" else VISA_OK
            r = await sale.checkout(
                buyer, hold, method="card_sandbox", card_token=await card(sale.client, number)
            )
            if choice == "refund":
                await sale.client.post(
                    f"/orgs/org_a/orders/{r.json()['id']}/refund", json={"reason": "r"},
                    headers=sale.organizer,
                )  # fmt: skip
        else:
            r = await sale.checkout(buyer, hold, method="pix")
            if choice == "pix_paid":
                await _pay_pix(sale, resources, r.json()["id"])
    await run_jobs(worker)
    async for order in resources.db["orders"].find():
        payment = await resources.db["payments"].find_one({"order_id": order["_id"]}) or {}
        net = payment.get("captured_cents", 0) - payment.get("refunded_cents", 0)
        valid = (
            sum(line["unit_cents"] for line in order["lines"] if line["status"] == "valid")
            if order["status"] in ("paid", "partially_refunded")
            else 0
        )
        assert net == valid, (order["_id"], order["status"], net, valid)
    # Inventory agrees: exactly the units of paid and still-pending orders are sold.
    sold = await resources.db["inventory_units"].count_documents({})
    holding = await resources.db["orders"].count_documents(
        {"status": {"$in": ["paid", "pending_payment"]}}
    )
    assert sold == holding  # one seat per order in this test


async def _overdue(resources: Resources, order_id: str) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    await resources.db["orders"].update_one({"_id": order_id}, {"$set": {"payment_deadline": past}})


async def _expire(worker: Worker) -> None:
    services = Services.build(worker.resources)
    (task,) = [t for t in periodic_tasks(services) if t.name == "orders.expire"]
    await task.run(worker.context)
    await run_jobs(worker)


async def _pix_paid_unreported(sale: Sale, resources: Resources, seat: str) -> dict[str, Any]:
    """A PIX order the buyer paid whose webhook never arrived (lost in transit)."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": [seat]})
    order = dict((await sale.checkout(buyer, hold, method="pix")).json())
    charge_id = str(order["payment"]["instructions"]["pix_txid"])
    await psp.control(resources.settings, f"pix_{charge_id}", drop_webhooks=True)
    await _pay_pix(sale, resources, order["id"])
    return order


async def test_money_no_webhook_reported_is_found_before_the_order_expires(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """At the deadline the PSP is asked: the paid order is settled, not expired over
    money it holds ("paid but no ticket"); its seat stays sold."""
    order = await _pix_paid_unreported(sale, resources, "A:r-2:s-2")
    await _overdue(resources, order["id"])
    await _expire(worker)
    got = await sale.client.get(f"/orders/{order['id']}", headers=sale.buyer("usr_1"))
    assert (got.json()["status"], got.json()["payment"]["status"]) == ("paid", "captured")
    assert await seat_status(sale, "A:r-2:s-2") == "sold"


async def test_a_buyer_polling_sees_money_no_webhook_reported(
    sale: Sale, resources: Resources
) -> None:
    """The buyer's poll asks the PSP once the payment is a minute old (sooner, the
    webhook is simply on its way)."""
    order = await _pix_paid_unreported(sale, resources, "A:r-2:s-3")
    buyer = sale.buyer("usr_1")
    got = await sale.client.get(f"/orders/{order['id']}", headers=buyer)
    assert got.json()["status"] == "pending_payment"
    old = datetime.now(UTC) - timedelta(minutes=2)
    await resources.db["payments"].update_one(
        {"_id": order["payment"]["id"]}, {"$set": {"created_at": old}}
    )
    got = await sale.client.get(f"/orders/{order['id']}", headers=buyer)
    assert (got.json()["status"], got.json()["payment"]["status"]) == ("paid", "captured")


async def _pay_pix(sale: Sale, resources: Resources, order_id: str) -> httpx.Response:
    payment = await resources.db["payments"].find_one({"order_id": order_id})
    assert payment is not None
    txid = str(payment["provider_ref"]).removeprefix("pix_")
    r = await sale.client.post(f"/sandbox-psp/v1/pix/{txid}/pay")
    assert r.status_code == 200, r.text
    return r


async def test_concurrent_payment_notifications_pay_once(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """The same PIX money reported by two racing webhooks and two racing job runs."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 2})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    await _pay_pix(sale, resources, order["id"])
    payment_id = order["payment"]["id"]
    jobs = [
        worker.registry.handlers["payments.changed"](worker.context, payment_id=payment_id)
        for _ in range(4)
    ]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    await run_jobs(worker)
    assert all(not isinstance(r, Exception) or "changed meanwhile" in str(r) for r in results)
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert got["status"] == "paid"
    payment = await resources.db["payments"].find_one({"_id": payment_id})
    assert payment is not None
    assert payment["captured_cents"] == 10_000
    stored = await resources.db["orders"].find_one({"_id": order["id"]})
    assert stored is not None
    assert [h["action"] for h in stored["history"]].count("order.paid") == 1


async def test_cancelling_the_event_refunds_everyone(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    paid = await paid_order(sale, "usr_1", ["A:r-1:s-1", "A:r-1:s-2"])
    buyer2 = sale.buyer("usr_2")
    hold = await sale.hold(buyer2, {"kind": "seats", "seat_ids": ["A:r-2:s-1"]})
    unpaid = (await sale.checkout(buyer2, hold, method="pix")).json()
    r = await sale.client.post(
        f"/events/{sale.event_id}/status", json={"status": "cancelled"}, headers=sale.organizer
    )
    assert r.status_code == 200, r.text
    await run_jobs(worker)  # the refund job queued by the status change
    progress = await sale.client.get(
        f"/orgs/org_a/events/{sale.event_id}/refunds", headers=sale.organizer
    )
    assert progress.json() | {"updated_at": None} == {
        "total": 2,
        "done": 2,
        "failed": 0,
        "finished": True,
        "updated_at": None,
    }
    assert (await sale.client.get(f"/orders/{paid['id']}", headers=sale.buyer("usr_1"))).json()[
        "status"
    ] == "refunded"
    assert (await sale.client.get(f"/orders/{unpaid['id']}", headers=buyer2)).json()[
        "status"
    ] == "cancelled"
    assert await resources.db["inventory_units"].count_documents({}) == 0


async def test_buyer_cancels_a_paid_order_only_where_the_event_allows(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, sale: Sale
) -> None:
    refused_order = await paid_order(sale, "usr_1", ["A:r-1:s-1"])
    buyer = sale.buyer("usr_1")
    refused = await client.post(f"/orders/{refused_order['id']}/cancel", json={}, headers=buyer)
    assert (refused.status_code, refused.json()["code"]) == (409, "cancellation_not_allowed")
    flexible = await open_sale(app, client, resources, buyer_cancellation_hours=48)
    order = await paid_order(flexible, "usr_1", ["A:r-1:s-1"])
    r = await client.post(
        f"/orders/{order['id']}/cancel", json={"reason": "não posso ir"}, headers=buyer
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["refunded_cents"]) == ("refunded", 10_000)
    assert await seat_status(flexible, "A:r-1:s-1") == "available"
    assert await seat_status(sale, "A:r-1:s-1") == "sold"


async def test_organizer_searches_orders_by_id_and_buyer_email(sale: Sale) -> None:
    first = await paid_order(sale, "usr_1", ["A:r-1:s-1"])
    await paid_order(sale, "usr_2", ["A:r-1:s-2"])
    url = "/orgs/org_a/orders"
    by_id = await sale.client.get(url, params={"q": first["id"]}, headers=sale.organizer)
    assert [o["id"] for o in by_id.json()["items"]] == [first["id"]]
    by_email = await sale.client.get(
        url, params={"q": "ANA@example.com.br"}, headers=sale.organizer
    )
    assert len(by_email.json()["items"]) == 2  # both buyers typed the same address here
    nobody = await sale.client.get(url, params={"q": "zz@example.com"}, headers=sale.organizer)
    assert nobody.json() == {"items": [], "next_cursor": None}
    paid = await sale.client.get(url, params={"status": "paid"}, headers=sale.organizer)
    assert len(paid.json()["items"]) == 2


async def test_organizer_pages_through_every_order_with_a_cursor(sale: Sale) -> None:
    """No maximum to the list: a cursor walks it all, newest first, none twice; a cursor
    this API did not hand out is a typed 400."""
    made = []
    for n in range(5):
        buyer = sale.buyer(f"usr_{n}")
        hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": [f"A:r-2:s-{n + 1}"]})
        made.append((await sale.checkout(buyer, hold)).json()["id"])
    url, seen, cursor = "/orgs/org_a/orders", [], None
    for _ in range(3):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await sale.client.get(url, params=params, headers=sale.organizer)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert seen == made[::-1]
    mine = await sale.client.get("/me/orders", params={"limit": 1}, headers=sale.buyer("usr_0"))
    assert [o["id"] for o in mine.json()["items"]] == [made[0]]
    forged = base64.urlsafe_b64encode(b'{"not": "a cursor"}').decode()
    for bad in ("garbled!", forged, "W10", "WzEsMl0"):  # [] and [1, 2]: wrong shapes
        r = await sale.client.get(url, params={"cursor": bad}, headers=sale.organizer)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor"), bad


async def _card_order_stopped_after_the_charge(
    sale: Sale, resources: Resources, seat: str
) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """A card checkout whose process died (or lost MongoDB) after the PSP captured the
    money and the payment was recorded, but before the order's last write: the order
    pending, knowing neither its payment nor its committed sale."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": [seat]})
    token = await card(sale.client, VISA_OK)
    order = (await sale.checkout(buyer, hold, method="card_sandbox", card_token=token)).json()
    assert order["payment"]["status"] == "captured"
    await resources.db["orders"].update_one(
        {"_id": order["id"]},
        {"$set": {"status": "pending_payment", "payment_id": None, "sale_committed": False},
         "$inc": {"version": 1}},
    )  # fmt: skip
    return buyer, hold, order


async def test_a_retried_checkout_finishes_one_that_stopped_after_the_charge(
    sale: Sale, resources: Resources
) -> None:
    buyer, hold, order = await _card_order_stopped_after_the_charge(sale, resources, "A:r-1:s-5")
    retry = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert retry.status_code in (200, 201), retry.text
    got = retry.json()
    assert (got["id"], got["status"]) == (order["id"], "paid")
    assert got["payment"]["id"] == order["payment"]["id"]  # the same charge, not a second
    stored = await resources.db["orders"].find_one({"_id": order["id"]})
    assert stored is not None
    assert (stored["payment_id"], stored["sale_committed"]) == (order["payment"]["id"], True)
    assert await seat_status(sale, "A:r-1:s-5") == "sold"


async def test_the_deadline_settles_an_order_whose_checkout_stopped_after_the_charge(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    buyer, _, order = await _card_order_stopped_after_the_charge(sale, resources, "A:r-1:s-2")
    await _overdue(resources, order["id"])
    await _expire(worker)
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert (got["status"], got["payment"]["status"]) == ("paid", "captured")
    assert await seat_status(sale, "A:r-1:s-2") == "sold"


async def test_the_sweep_settles_an_order_whose_checkout_stopped_after_the_charge(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """Its buyer gone (or refused on retry), the money captured: paid at the worker's
    next pass, not at the deadline 15 minutes on (the fault bench counted it lost)."""
    buyer, _, order = await _card_order_stopped_after_the_charge(sale, resources, "A:r-2:s-4")
    past = datetime.now(UTC) - timedelta(minutes=1)
    await resources.db["orders"].update_one({"_id": order["id"]}, {"$set": {"created_at": past}})
    await _expire(worker)
    assert await _status(resources, order["id"]) == "paid"  # before any poll of its buyer
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert (got["status"], got["payment"]["status"]) == ("paid", "captured")
    assert await seat_status(sale, "A:r-2:s-4") == "sold"
    assert await resources.db["tickets"].count_documents({"order_id": order["id"]}) == 1


@pytest.mark.parametrize("psp_saw_it", [True, False], ids=["charged", "never-reached"])
async def test_a_retry_asks_the_psp_again_when_its_answer_was_lost(
    sale: Sale, resources: Resources, psp_saw_it: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first checkout died during the PSP's call: the payment is stored, pending,
    with no charge recorded. The retry asks the PSP again with the same reference: it
    gets the charge the PSP made (no new token taken), or the PSP makes it now — one
    charge either way (it used to answer 409 until the deadline)."""
    if psp_saw_it:
        buyer, hold, order = await _card_order_stopped_after_the_charge(
            sale, resources, "A:r-1:s-3"
        )
        payment_id = order["payment"]["id"]
        await resources.db["payments"].update_one(
            {"_id": payment_id},
            {"$set": {"status": "pending", "provider_ref": None, "captured_cents": 0}},
        )
    else:  # the PSP could not be reached: the checkout answered 503
        buyer = sale.buyer("usr_1")
        hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-3"]})

        async def unreachable(*args: Any, **kwargs: Any) -> dict[str, Any]:
            raise PspUnavailable("connection refused")

        with monkeypatch.context() as patched:
            patched.setattr(SandboxProcessor, "_call", unreachable)
            first = await sale.checkout(
                buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
            )
        assert first.status_code == 503, first.text
        payment_id = checkout_payment_id(order_id_for(hold["hold_id"]))
    retry = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert retry.status_code in (200, 201), retry.text
    got = retry.json()
    assert (got["status"], got["payment"]["status"]) == ("paid", "captured")
    assert got["payment"]["id"] == payment_id
    # The charge's id is derived from our reference: there can be only this one.
    charge = await psp.charge(resources.settings, f"ch_{payment_id}")
    assert (charge["state"], charge["captured_cents"]) == ("captured", 10_000)


async def test_a_retried_checkout_resumes_one_whose_sale_commit_failed(
    sale: Sale, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis restarting while the first checkout commits the sale (503, outcome unknown,
    "call again"): the order exists without a payment. The retry commits the sale and
    pays; it used to answer 409 until the order's deadline, the hold blocking the sale."""
    commit = InventoryService.commit_sale
    calls: list[str] = []

    async def busy_once(self: InventoryService, hold_id: str, order_id: str, buyer: str) -> Any:
        calls.append(hold_id)
        if len(calls) == 1:
            raise InventoryBusy("inventory store unavailable")
        return await commit(self, hold_id, order_id, buyer)

    monkeypatch.setattr(InventoryService, "commit_sale", busy_once)
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    token = await card(sale.client, VISA_OK)
    first = await sale.checkout(buyer, hold, method="card_sandbox", card_token=token)
    assert (first.status_code, first.json()["code"]) == (503, "inventory_busy")
    retry = await sale.checkout(buyer, hold, method="card_sandbox", card_token=token)
    assert retry.status_code in (200, 201), retry.text
    order = retry.json()
    assert (order["status"], order["payment"]["status"]) == ("paid", "captured")
    assert len(calls) == 2
    assert await resources.db["payments"].count_documents({"order_id": order["id"]}) == 1
    assert await seat_status(sale, "A:r-1:s-1") == "sold"


async def test_a_polled_order_follows_money_whose_notice_was_lost(
    sale: Sale, resources: Resources
) -> None:
    """The PSP's webhook was applied (payment captured) but the job that settles the
    order was lost (the api killed before queueing it, or Redis losing its last
    second): the buyer polling their PIX order sees it paid at once, not at the
    deadline (found by the large preset's fault mode: two PIX buyers waited in vain)."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    await resources.db["payments"].update_one(
        {"_id": order["payment"]["id"]},
        {"$set": {"status": "captured", "captured_cents": order["total_cents"]},
         "$inc": {"version": 1}},
    )  # fmt: skip
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert (got["status"], got["payment"]["status"]) == ("paid", "captured")
    stored = await resources.db["orders"].find_one({"_id": order["id"]})
    assert stored is not None
    assert stored["status"] == "paid"
    again = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert again["status"] == "paid"


async def test_a_polled_order_whose_checkout_stopped_after_the_charge_is_paid(
    sale: Sale, resources: Resources
) -> None:
    buyer, _, order = await _card_order_stopped_after_the_charge(sale, resources, "A:r-1:s-4")
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert (got["status"], got["payment"]["id"]) == ("paid", order["payment"]["id"])


async def test_retries_racing_over_the_same_money_all_get_the_paid_order(
    sale: Sale, resources: Resources
) -> None:
    """Two retries (and a poll) settle the same stopped checkout at once: one write wins,
    and every one of them answers with the paid order — none with a 409 that an
    idempotent checkout would then keep as its answer."""
    buyer, hold, order = await _card_order_stopped_after_the_charge(sale, resources, "A:r-1:s-1")
    token = await card(sale.client, VISA_OK)
    answers = await asyncio.gather(
        sale.checkout(buyer, hold, method="card_sandbox", card_token=token),
        sale.checkout(buyer, hold, method="card_sandbox", card_token=token),
        sale.client.get(f"/orders/{order['id']}", headers=buyer),
    )
    assert [r.status_code in (200, 201) for r in answers] == [True, True, True], [
        r.text for r in answers
    ]
    assert {(r.json()["id"], r.json()["status"]) for r in answers} == {(order["id"], "paid")}
    stored = await resources.db["orders"].find_one({"_id": order["id"]})
    assert stored is not None
    paid_entries = [h["action"] for h in stored["history"]].count("order.paid")
    assert paid_entries == 2  # the first checkout's, and the one settling write's


async def test_an_order_a_stopped_checkout_left_without_its_sale_is_cancelled(
    sale: Sale, resources: Resources, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout placed the order and stopped before committing its sale (its process
    killed, or a 503 its buyer did not retry), then Redis was flushed: the hold is gone
    and its seat was sold to someone else. The stranded order is cancelled at the
    worker's next pass, not left pending for its whole payment window claiming a seat
    now sold to another order (the fault bench counted such seats double-sold)."""
    commit = InventoryService.commit_sale

    async def busy_for_usr_1(
        self: InventoryService, hold_id: str, order_id: str, buyer: str
    ) -> Any:
        if buyer == "usr_1":
            raise InventoryBusy("inventory store unavailable")
        return await commit(self, hold_id, order_id, buyer)

    monkeypatch.setattr(InventoryService, "commit_sale", busy_for_usr_1)
    seat = "A:r-2:s-5"
    first = sale.buyer("usr_1")
    hold = await sale.hold(first, {"kind": "seats", "seat_ids": [seat]})
    r = await sale.checkout(
        first, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert (r.status_code, r.json()["code"]) == (503, "inventory_busy")
    stranded = order_id_for(hold["hold_id"])
    past = datetime.now(UTC) - timedelta(minutes=1)
    await resources.db["orders"].update_one({"_id": stranded}, {"$set": {"created_at": past}})
    await _expire(worker)  # its hold still keeps the seat: a retry may still commit it
    assert (await _status(resources, stranded), await seat_status(sale, seat)) == (
        "pending_payment", "held",
    )  # fmt: skip
    await resources.redis.flushall()  # the hold is gone; MongoDB sold nothing to it
    second = sale.buyer("usr_2")
    again = await sale.hold(second, {"kind": "seats", "seat_ids": [seat]})
    r = await sale.checkout(
        second, again, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert r.json()["status"] == "paid", r.text
    await _expire(worker)
    assert await _status(resources, stranded) == "cancelled"
    live = resources.db["orders"].find(
        {"lines.seat_id": seat, "status": {"$in": ["pending_payment", "paid"]}}, {"_id": 1}
    )
    assert [d["_id"] async for d in live] == [r.json()["id"]]
    assert await seat_status(sale, seat) == "sold"


async def _status(resources: Resources, order_id: str) -> str:
    doc = await resources.db["orders"].find_one({"_id": order_id}, {"status": 1})
    assert doc is not None
    return str(doc["status"])
