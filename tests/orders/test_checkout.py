"""Checkout through the real HTTP API: every payment method, every refusal."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.orders.conftest import ORG, Sale, open_sale, run_jobs
from ticketsafe.infra.resources import Resources
from ticketsafe.orders import repository as orders_repo
from ticketsafe.orders.events import ANNOUNCED_JOB
from ticketsafe.payments import repository as payments_repo
from ticketsafe.payments.models import PaymentStatus
from ticketsafe.roles.worker import Worker
from ticketsafe.webhooks import service as webhook_service

VISA_OK, VISA_3DS, VISA_DECLINED = "4242424242424242", "4000000000003220", "4000000000000002"


async def card(client: httpx.AsyncClient, number: str) -> str:
    r = await client.post(
        "/sandbox-psp/v1/tokens",
        json={"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123"},
    )
    return str(r.json()["token"])


async def seat_status(sale: Sale, seat: str) -> str:
    r = await sale.client.get(f"/events/{sale.event_id}/availability")
    return str(r.json()["seats"][seat])


def refuse_webhook(monkeypatch: pytest.MonkeyPatch, refused: str) -> None:
    """Make organizer webhooks of one kind fail to be queued (their store refuses)."""
    publish = webhook_service.publish

    async def publish_refusing(
        db: Any, jobs: Any, org_id: str, kind: str, data: Any, **kw: Any
    ) -> int:
        if kind == refused:
            raise RuntimeError("webhook store unavailable")
        return await publish(db, jobs, org_id, kind, data, **kw)

    monkeypatch.setattr(webhook_service, "publish", publish_refusing)


async def test_card_checkout_is_paid_at_once(sale: Sale, resources: Resources) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1", "A:r-1:s-2"]})
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["total_cents"]) == ("paid", 20_000)
    assert order["payment"]["status"] == "captured"
    assert (order["payment"]["card_brand"], order["payment"]["card_last4"]) == ("visa", "4242")
    assert await seat_status(sale, "A:r-1:s-1") == "sold"
    # Inserted, then written once: committed sale, payment and `paid` together.
    stored = await orders_repo.get(resources.db, order["id"])
    assert stored is not None
    assert (stored.version, stored.sale_committed) == (1, True)
    payment = await payments_repo.get(resources.db, order["payment"]["id"])
    assert payment is not None
    assert (payment.version, payment.processor, payment.method) == (0, "sandbox", "card")
    # Authorised and captured before its one write; the audit trail is in the order.
    assert [h["action"] for h in stored.history] == ["order.created", "order.paid"]
    assert await resources.db["audit_log"].count_documents({"subject": order["id"]}) == 0
    assert await resources.db["mail_outbox"].count_documents({}) == 0  # the tickets' e-mail


@pytest.mark.parametrize("refused", ["order.created", "order.paid"])
async def test_a_refused_organizer_webhook_is_off_the_checkout_path(
    sale: Sale, resources: Resources, worker: Worker, monkeypatch: pytest.MonkeyPatch,
    refused: str,
) -> None:  # fmt: skip
    """Organizer webhooks follow the order's announcement (a job), not the checkout: their
    store refusing leaves the buyer's checkout paid and answered, and fails the job
    instead, which the queue retries until the store takes them."""
    hooks = ["order.created", "order.paid"]
    r = await sale.client.post(
        f"/orgs/{ORG}/webhooks", json={"url": "https://hooks.example.com/h", "events": hooks},
        headers=sale.organizer,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    refuse_webhook(monkeypatch, refused)
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-3"]})
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert (r.status_code, r.json()["status"]) == (201, "paid"), r.text
    await worker.queue.ensure_group()
    [announced] = [
        j for j in await worker.queue.read(worker.consumer, 50, 20) if j.name == ANNOUNCED_JOB
    ]
    handler = worker.registry.handlers[ANNOUNCED_JOB]
    with pytest.raises(RuntimeError, match="webhook store unavailable"):
        await handler(worker.context, **announced.args)
    monkeypatch.undo()
    await handler(worker.context, **announced.args)  # the queue's retry
    found = resources.db["webhook_deliveries"].find({"payload.data.order_id": r.json()["id"]})
    assert sorted([d["event_type"] async for d in found]) == hooks


async def test_a_card_checkout_without_a_token_leaves_nothing_behind(
    sale: Sale, resources: Resources
) -> None:
    """Refused before the order is written: the hold stands and the retry (with a card
    token) buys. It used to write the order and commit the sale first, and every retry
    then got 409 `request_in_progress` until the payment deadline."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    r = await sale.checkout(buyer, hold, method="card_sandbox", key="first")
    assert (r.status_code, r.json()["code"]) == (422, "card_token_required")
    assert await resources.db["orders"].count_documents({"hold_id": hold["hold_id"]}) == 0
    assert await seat_status(sale, "A:r-1:s-1") == "held"
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert (r.status_code, r.json()["status"]) == (201, "paid")


async def test_declined_card_releases_the_seats(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-3"]})
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_DECLINED)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "payment_declined"
    assert await seat_status(sale, "A:r-1:s-3") == "available"


async def test_3ds_card_is_paid_after_the_async_confirmation(sale: Sale, worker: Worker) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-2:s-1"]})
    r = await sale.checkout(
        buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_3DS)
    )
    order = r.json()
    assert (order["status"], order["payment"]["status"]) == ("pending_payment", "requires_action")
    assert await seat_status(sale, "A:r-2:s-1") == "sold"  # committed before any capture
    challenge = order["payment"]["instructions"]["challenge_url"]
    approved = await sale.client.post(challenge, json={"outcome": "approve"}, headers=buyer)
    assert approved.status_code == 200, approved.text
    await run_jobs(worker)  # PSP webhook → payment authorized → capture → order paid
    got = await sale.client.get(f"/orders/{order['id']}", headers=buyer)
    assert (got.json()["status"], got.json()["payment"]["status"]) == ("paid", "captured")


async def test_pix_order_is_paid_by_webhook(sale: Sale, worker: Worker) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 3})
    r = await sale.checkout(buyer, hold, method="pix")
    order = r.json()
    assert (order["status"], order["total_cents"]) == ("pending_payment", 15_000)
    assert order["payment"]["instructions"]["pix_copia_e_cola"].startswith("000201")
    txid = await _pix_txid(worker, order["payment"]["id"])
    pay = await sale.client.post(f"/sandbox-psp/v1/pix/{txid}/pay")
    assert pay.status_code == 200, pay.text
    await run_jobs(worker)
    got = await sale.client.get(f"/orders/{order['id']}", headers=buyer)
    assert got.json()["status"] == "paid"


async def test_money_for_an_order_that_crashed_before_recording_its_payment(
    sale: Sale, worker: Worker
) -> None:
    """The API died after starting the payment but before the order's write: the PSP's
    webhook still finds the order (by the payment's order id) and settles it."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    db = worker.resources.db
    await db["orders"].update_one(
        {"_id": order["id"]},
        {"$set": {"payment_id": None, "sale_committed": False}, "$inc": {"version": 1}},
    )
    txid = await _pix_txid(worker, order["payment"]["id"])
    assert (await sale.client.post(f"/sandbox-psp/v1/pix/{txid}/pay")).status_code == 200
    await run_jobs(worker)
    stored = await orders_repo.get(db, order["id"])
    assert stored is not None
    assert (stored.status.value, stored.payment_id, stored.sale_committed) == (
        "paid", order["payment"]["id"], True,
    )  # fmt: skip


async def test_pix_qr_image_is_drawn_on_request(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    r = await sale.client.get(f"/orders/{order['id']}/pix-qr.svg", headers=buyer)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.text.startswith("<svg")
    stranger = await sale.client.get(
        f"/orders/{order['id']}/pix-qr.svg", headers=sale.buyer("usr_2")
    )
    assert stranger.status_code == 404
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    card_order = (
        await sale.checkout(
            buyer, hold, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
        )
    ).json()
    r = await sale.client.get(f"/orders/{card_order['id']}/pix-qr.svg", headers=buyer)
    assert (r.status_code, r.json()["code"]) == (404, "pix_code_not_found")


async def _pix_txid(worker: Worker, payment_id: str) -> str:
    doc = await worker.resources.db["payments"].find_one({"_id": payment_id})
    assert doc is not None
    return str(doc["provider_ref"]).removeprefix("pix_")


async def test_free_order_for_courtesy_by_the_organizer_only(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-2:s-2"]})
    refused = await sale.checkout(buyer, hold, ticket_type="cortesia", total=0)
    assert refused.status_code == 403
    assert refused.json()["code"] == "courtesy_not_allowed"
    org_hold = await sale.hold(sale.organizer, {"kind": "seats", "seat_ids": ["A:r-2:s-3"]})
    ok = await sale.checkout(sale.organizer, org_hold, ticket_type="cortesia", total=0)
    assert ok.status_code == 201, ok.text
    assert (ok.json()["status"], ok.json()["payment"]["method"]) == ("paid", "free")


async def test_total_must_match_what_the_buyer_saw(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-4"]})
    r = await sale.checkout(buyer, hold, total=9_999)
    assert r.status_code == 409
    assert (r.json()["code"], r.json()["total_cents"]) == ("price_changed", 10_000)


async def test_tickets_must_cover_the_hold_exactly(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-5"]})
    hold["seats"] = ["A:r-2:s-5"]  # a seat the buyer does not hold
    r = await sale.checkout(buyer, hold)
    assert r.status_code == 422
    assert r.json()["code"] == "tickets_do_not_match_hold"


async def test_half_price_needs_confirmation_and_respects_the_quota(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 3})
    r = await sale.checkout(buyer, hold, ticket_type="meia")
    assert r.status_code == 409  # quota is 2, three asked
    assert r.json()["code"] == "ticket_type_sold_out"
    hold2 = await sale.hold(sale.buyer("usr_2"), {"kind": "ga", "area_id": "pista", "quantity": 2})
    body_tickets = [
        {"area_id": "pista", "ticket_type_id": "meia", "holder_name": "X"} for _ in range(2)
    ]
    unconfirmed = await sale.client.post(
        "/orders",
        json={"hold_id": hold2["hold_id"], "payment_method": "pix",
              "buyer": {"name": "B", "email": "b@example.com"}, "tickets": body_tickets,
              "expected_total_cents": 5_000},
        headers=sale.buyer("usr_2"),
    )  # fmt: skip
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["code"] == "ticket_type_refused"
    ok = await sale.checkout(sale.buyer("usr_2"), hold2, ticket_type="meia")
    assert ok.status_code == 201, ok.text
    assert ok.json()["total_cents"] == 5_000


async def test_cpf_required_when_the_event_asks(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    sale = await open_sale(app, client, resources, requires_cpf=True)
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    missing = await sale.checkout(buyer, hold)
    assert (missing.status_code, missing.json()["code"]) == (422, "cpf_required")
    hold2 = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-2"]})
    ticket = {"seat_id": "A:r-1:s-2", "ticket_type_id": "full", "holder_name": "Ana",
              "holder_cpf": "529.982.247-25"}  # fmt: skip
    ok = await client.post(
        "/orders",
        json={"hold_id": hold2["hold_id"], "payment_method": "pix", "tickets": [ticket],
              "buyer": {"name": "Ana", "email": "ana@example.com"}, "expected_total_cents": 10_000},
        headers=buyer,
    )  # fmt: skip
    assert ok.status_code == 201, ok.text


async def test_retried_checkout_never_buys_twice(sale: Sale, resources: Resources) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-2:s-4"]})
    first, second = await asyncio.gather(
        sale.checkout(buyer, hold, key="k-1"), sale.checkout(buyer, hold, key="k-2")
    )
    ids = {r.json().get("id") for r in (first, second) if r.status_code == 201}
    assert len(ids) == 1  # same hold → the same one order, whatever the keys
    replay = await sale.checkout(buyer, hold, key="k-1")
    assert replay.status_code in (201, 409)
    # Another key once the first checkout is done: the hold is an order now, and it is
    # that order that comes back.
    later = await sale.checkout(buyer, hold, key="k-3")
    order_id = ids.pop()
    assert (later.status_code, later.json()["id"]) == (201, order_id)
    # The hold's one order has the hold's order id: its primary key is the guard.
    assert order_id == orders_repo.order_id_for(hold["hold_id"])
    stored = await orders_repo.get(resources.db, order_id)
    assert stored is not None
    assert not await orders_repo.insert(resources.db, stored.model_copy(update={"version": 7}))
    with pytest.raises(ValueError, match="not the order id"):
        await orders_repo.insert(resources.db, stored.model_copy(update={"id": "ord_other"}))
    assert await orders_repo.by_hold(resources.db, hold["hold_id"]) == stored
    assert await resources.db["orders"].count_documents({"hold_id": hold["hold_id"]}) == 1
    assert await resources.db["payments"].count_documents({}) == 1


async def test_someone_elses_hold_and_order_are_invisible(sale: Sale) -> None:
    hold = await sale.hold(sale.buyer("usr_1"), {"kind": "seats", "seat_ids": ["A:r-2:s-5"]})
    stolen = await sale.checkout(sale.buyer("usr_2"), hold)
    assert stolen.status_code == 404
    mine = await sale.checkout(sale.buyer("usr_1"), hold)
    order_id = mine.json()["id"]
    assert (
        await sale.client.get(f"/orders/{order_id}", headers=sale.buyer("usr_2"))
    ).status_code == 404
    other_org = sale.client.get("/orgs/org_zzz/orders", headers=sale.organizer)
    assert (await other_org).status_code == 404


@pytest.mark.parametrize("method", ["pix", "bank_transfer"])
async def test_buyer_cancels_unpaid_order_and_seats_return(
    sale: Sale, resources: Resources, method: str
) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    order = (await sale.checkout(buyer, hold, method=method)).json()
    r = await sale.client.post(f"/orders/{order['id']}/cancel", json={}, headers=buyer)
    assert r.json()["status"] == "cancelled"
    assert await seat_status(sale, "A:r-1:s-1") == "available"
    payment = await payments_repo.get(resources.db, order["payment"]["id"])
    assert payment is not None
    assert payment.status is PaymentStatus.VOIDED  # found by the id derived from the order


async def test_a_pending_transfer_is_written_once_and_shows_its_payment(
    sale: Sale, resources: Resources
) -> None:
    """A payment that leaves its order pending writes nothing to the order (its payment
    is found by the id derived from the order): the buyer still sees the bank details,
    in the order and in their list, and the organizer's mark-paid records the payment
    with `paid`, in one write."""
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    order = (await sale.checkout(buyer, hold, method="bank_transfer")).json()
    assert (order["status"], order["payment"]["status"]) == ("pending_payment", "pending")
    stored = await orders_repo.get(resources.db, order["id"])
    assert stored is not None
    assert (stored.version, stored.payment_id, stored.sale_committed) == (0, None, False)
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert got["payment"] == order["payment"]
    assert got["payment"]["instructions"]["reference"]
    mine = (await sale.client.get("/me/orders", headers=buyer)).json()
    assert [o["payment"] for o in mine["items"]] == [order["payment"]]
    paid = await sale.client.post(
        f"/orgs/{ORG}/orders/{order['id']}/mark-paid", headers=sale.organizer
    )
    assert (paid.status_code, paid.json()["status"]) == (200, "paid"), paid.text
    got = (await sale.client.get(f"/orders/{order['id']}", headers=buyer)).json()
    assert got["payment"]["status"] == "captured"
    stored = await orders_repo.get(resources.db, order["id"])
    assert stored is not None
    assert (stored.version, stored.payment_id, stored.sale_committed) == (
        1, order["payment"]["id"], True,
    )  # fmt: skip


async def test_guarded_update_returns_exactly_what_is_stored(
    sale: Sale, resources: Resources
) -> None:
    """`update_guarded` derives the new order instead of reading it back: it must equal
    the stored document, and a stale version must change nothing."""
    buyer = sale.buyer("usr_9")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    r = await sale.checkout(buyer, hold, method="pix")
    assert r.status_code == 201, r.text
    order = await orders_repo.get(resources.db, r.json()["id"])
    assert order is not None
    updated = await orders_repo.update_guarded(
        resources.db, order, {"status": "cancelled", "refunded_cents": 0}
    )
    assert updated is not None
    assert updated == await orders_repo.get(resources.db, order.id)
    assert updated.version == order.version + 1
    assert await orders_repo.update_guarded(resources.db, order, {"status": "paid"}) is None
    assert await orders_repo.get(resources.db, order.id) == updated


async def test_payment_guarded_update_returns_exactly_what_is_stored(
    sale: Sale, resources: Resources
) -> None:
    buyer = sale.buyer("usr_8")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    r = await sale.checkout(buyer, hold, method="pix")
    assert r.status_code == 201, r.text
    payment = await payments_repo.get(resources.db, r.json()["payment"]["id"])
    assert payment is not None
    updated = await payments_repo.update_guarded(
        resources.db, payment, status=PaymentStatus.CAPTURED,
        fields={"instructions": {"note": "x"}}, inc={"captured_cents": 9_000},
    )  # fmt: skip
    assert updated is not None
    assert updated == await payments_repo.get(resources.db, payment.id)
    assert (updated.version, updated.captured_cents) == (payment.version + 1, 9_000)
    stale = await payments_repo.update_guarded(resources.db, payment, status=PaymentStatus.VOIDED)
    assert stale is None


@pytest.mark.parametrize("txid", ["unknown", "a%18b", "..%2F..%2Ftokens", "x%3Fy%3D1"])
async def test_the_pix_pay_relay_refuses_an_unknown_txid_with_a_problem(
    sale: Sale, txid: str
) -> None:
    """Whatever the path holds (control characters, slashes, a query), the relay sends it
    to the sandbox as one quoted segment: an unknown txid is a 404 problem, never a 500."""
    r = await sale.client.post(f"/sandbox-psp/v1/pix/{txid}/pay")
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
