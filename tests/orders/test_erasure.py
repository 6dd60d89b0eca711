"""Erasure reaches orders (issue 24, item 10): after a buyer erases their account, no
lookup by their e-mail finds anything, in any collection or Redis key, while the sale
(seats, units, amounts, status) stays whole for accounting."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import bson

from tests.identity.conftest import PASSWORD, Account, login, signed_up
from tests.orders.conftest import Sale, run_jobs
from tests.orders.test_checkout import VISA_OK, card, seat_status
from ticketsafe.identity.erasures import ERASURE_OUTBOX, ERASURES, RERUN_S
from ticketsafe.infra.jobs import DELAYED, Job
from ticketsafe.infra.redrive import redrive
from ticketsafe.infra.resources import Resources
from ticketsafe.mail.outbox import OUTBOX
from ticketsafe.orders.repository import ORDERS
from ticketsafe.roles.worker import Worker

EMAIL = "bia.lima@example.com"
ORDERS_URL = "/orgs/org_a/orders"


async def _stores_dump(resources: Resources) -> bytes:
    """Every document of every collection, and every Redis key with its value."""
    dump = b""
    for name in await resources.db.list_collection_names():
        async for doc in resources.db[name].find({}):
            dump += bson.encode(doc)
    async for key in resources.redis.scan_iter():
        dump += key if isinstance(key, bytes) else key.encode()
        if await resources.redis.type(key) in (b"string", "string"):
            value = await resources.redis.get(key) or b""
            dump += value if isinstance(value, bytes) else value.encode()
    return dump


async def _orders_of(sale: Sale, account: Account) -> list[dict[str, Any]]:
    buyer = {"name": "Bia Lima", "email": EMAIL, "phone": "+55 11 91234-5678"}
    paid_hold = await sale.hold(account.headers, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    paid = await sale.checkout(
        account.headers, paid_hold, method="card_sandbox",
        card_token=await card(sale.client, VISA_OK), buyer=buyer,
    )  # fmt: skip
    pix_hold = await sale.hold(account.headers, {"kind": "ga", "area_id": "pista", "quantity": 2})
    pending = await sale.checkout(account.headers, pix_hold, method="pix", buyer=buyer)
    assert (paid.status_code, pending.status_code) == (201, 201), (paid.text, pending.text)
    return [paid.json(), pending.json()]


async def _search(sale: Sale, q: str) -> list[str]:
    r = await sale.client.get(ORDERS_URL, params={"q": q}, headers=sale.organizer)
    assert r.status_code == 200, r.text
    return [o["id"] for o in r.json()["items"]]


async def test_no_lookup_finds_an_erased_buyer_and_the_sale_stays(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    account = await signed_up(sale.client, EMAIL, name="Bia Lima")
    await login(sale.client, EMAIL, "a wrong password")  # a rate-limit counter by e-mail
    paid, pending = await _orders_of(sale, account)
    assert sorted(await _search(sale, EMAIL)) == sorted([paid["id"], pending["id"]])
    index = sale.app.state.services.keyring.blind_index.email(EMAIL).encode()
    # Before: users, orders and the login counter hold the e-mail's blind index.
    assert index in await _stores_dump(resources)
    await run_jobs(worker)  # the paid order's tickets, and their e-mail (its receipt)
    queued_mail = await resources.db[OUTBOX].find_one({"owner_id": account.user_id})
    assert queued_mail is not None
    assert "sealed" in queued_mail

    erased = await sale.client.post(
        "/me/erase", headers=account.headers, json={"password": PASSWORD}
    )
    assert erased.status_code == 204, erased.text
    await run_jobs(worker)  # identity.person_erased → every domain's hook

    # No lookup by the e-mail finds anything: the blind index is nowhere in any
    # collection or Redis key or value, so neither the organizer's search nor sign-in
    # finds it (a sign-in attempt counts anew under it: anyone may try any address).
    assert index not in await _stores_dump(resources)
    assert await _search(sale, EMAIL) == []
    assert await _search(sale, EMAIL.upper()) == []
    assert (await login(sale.client, EMAIL)).status_code == 401
    # Nor anything sealed for the person: their order details and queued mail are gone.
    async for doc in resources.db[ORDERS].find({"buyer_id": account.user_id}):
        assert "buyer_sealed" not in doc
        assert all("holder_sealed" not in line for line in doc["lines"])
    mail = await resources.db[OUTBOX].find_one({"owner_id": account.user_id})
    assert mail is not None
    assert (mail["status"], "sealed" in mail) == ("dropped", False)

    # The sale stays for accounting: found by id, same status, units and amounts.
    for before in (paid, pending):
        r = await sale.client.get(ORDERS_URL, params={"q": before["id"]}, headers=sale.organizer)
        (after,) = r.json()["items"]
        keep = ("status", "total_cents", "refunded_cents", "currency", "lines")
        assert {k: after[k] for k in keep} == {k: before[k] for k in keep}
    assert await seat_status(sale, "A:r-1:s-1") == "sold"
    export = await sale.client.get(
        f"/orgs/org_a/events/{sale.event_id}/attendees.csv", headers=sale.organizer
    )
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 3  # one seat + two GA units
    assert {(r["buyer_name"], r["buyer_email"], r["holder_name"]) for r in rows} == {
        ("(erased)", "(erased)", "(erased)")
    }
    assert sum(int(r["unit_cents"]) for r in rows) == 20_000


async def test_erasure_hooks_are_idempotent_and_spare_other_buyers(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    erased, kept = await signed_up(sale.client, EMAIL), await signed_up(sale.client, "c@x.com")
    await _orders_of(sale, erased)
    other = await sale.hold(kept.headers, {"kind": "seats", "seat_ids": ["A:r-2:s-1"]})
    r = await sale.checkout(kept.headers, other, method="pix")  # buyer ana@example.com.br
    assert r.status_code == 201, r.text
    await sale.client.post("/me/erase", headers=erased.headers, json={"password": PASSWORD})
    await run_jobs(worker)
    await resources.queue.enqueue("identity.person_erased", {"person_id": erased.user_id})
    await run_jobs(worker)  # a second run (a redelivered job) finds nothing left to drop
    assert await _search(sale, EMAIL) == []
    assert await _search(sale, "ana@example.com.br") == [r.json()["id"]]


async def test_an_erasure_whose_job_was_lost_is_driven_again(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """The job leaves after the answer: a Redis that lost it (flush, failover) must not
    leave the erased person's orders searchable for good."""
    account = await signed_up(sale.client, EMAIL)
    await _orders_of(sale, account)
    await sale.client.post("/me/erase", headers=account.headers, json={"password": PASSWORD})
    assert await resources.redis.zcard(DELAYED) == 1  # the second run, for late writers
    await resources.redis.flushdb()  # both jobs lost
    assert await _search(sale, EMAIL) != []
    later = datetime.now(UTC) + ERASURE_OUTBOX.stale_after + timedelta(seconds=1)
    assert await redrive(resources.db, resources.queue, ERASURE_OUTBOX, later) == 1
    await run_jobs(worker)
    assert await _search(sale, EMAIL) == []
    record = await resources.db[ERASURES].find_one({"_id": account.user_id})
    assert record is not None
    assert record["status"] == "done"
    # Done: a later pass finds nothing more to drive.
    again = later + timedelta(minutes=31)
    assert await redrive(resources.db, resources.queue, ERASURE_OUTBOX, again) == 0


async def test_an_order_written_after_the_first_run_is_caught_by_the_second(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    """A checkout in flight at the erasure writes its order after the hooks first ran."""
    account = await signed_up(sale.client, EMAIL)
    hold = await sale.hold(account.headers, {"kind": "seats", "seat_ids": ["A:r-1:s-3"]})
    await sale.client.post("/me/erase", headers=account.headers, json={"password": PASSWORD})
    await run_jobs(worker)
    late = await resources.db[ORDERS].find_one({})  # none yet: the checkout is "in flight"
    assert late is None
    index = sale.app.state.services.keyring.blind_index.email(EMAIL)
    await resources.db[ORDERS].insert_one(
        {"_id": "ord_late", "buyer_id": account.user_id, "org_id": "org_a", "lines": [],
         "buyer_email_index": index, "hold_id": hold["hold_id"]}
    )  # fmt: skip
    delayed = await resources.redis.zrange(DELAYED, 0, -1, withscores=True)
    ((payload, due),) = cast(list[tuple[bytes, float]], delayed)
    second = Job.decode("", payload)
    assert (second.name, second.args) == ("identity.person_erased", {"person_id": account.user_id})
    assert due - time.time() > RERUN_S - 60  # not due yet: as if it were, now
    await resources.queue.enqueue(second.name, second.args)
    await run_jobs(worker)
    late = await resources.db[ORDERS].find_one({"_id": "ord_late"})
    assert late is not None
    assert "buyer_email_index" not in late
