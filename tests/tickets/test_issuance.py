"""Issuance: one ticket per paid unit, exactly once, revoked by a refund."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.orders.conftest import Sale, run_jobs
from tests.tickets.conftest import issued_order, paid_order
from ticketsafe.infra.crypto.keyring import load_keyring
from ticketsafe.infra.jobs import STREAM, Job
from ticketsafe.infra.resources import Resources
from ticketsafe.orders.events import ANNOUNCED_JOB
from ticketsafe.roles.worker import Worker
from ticketsafe.tickets.codes import parse
from ticketsafe.tickets.service import TicketService
from ticketsafe.tickets.tasks import ISSUE_JOB, STALE, after_redis_loss, reconcile

SEATS = {"kind": "seats", "seat_ids": ["A:r-1:s-1", "A:r-1:s-2"]}
PLACES = ["s:A:r-1:s-1", "s:A:r-1:s-2"]


async def test_a_paid_order_gets_one_ticket_per_unit(sale: Sale, worker: Worker) -> None:
    order, tickets = await issued_order(sale, worker, "usr_1", SEATS)
    assert sorted(t["place"] for t in tickets) == ["s:A:r-1:s-1", "s:A:r-1:s-2"]
    assert {(t["status"], t["version"], t["order_id"]) for t in tickets} == {
        ("valid", 1, order["id"])
    }
    ga = await paid_order(sale, "usr_2", {"kind": "ga", "area_id": "pista", "quantity": 3})
    await run_jobs(worker)
    mine = await sale.client.get("/me/tickets", headers=sale.buyer("usr_2"))
    assert [t["place"] for t in mine.json()["items"]] == ["a:pista"] * 3
    assert {t["order_id"] for t in mine.json()["items"]} == {ga["id"]}


async def test_the_issuing_job_run_twice_issues_one_ticket_per_unit(
    sale: Sale, worker: Worker, resources: Resources
) -> None:
    order = await paid_order(sale, "usr_1", SEATS)
    announced = [j for j in await _queued(resources) if j.name == ANNOUNCED_JOB]
    assert [j.args for j in announced] == [
        {"events": ["order_created", "order_paid"], "order_id": order["id"]}
    ]
    handler = worker.registry.handlers[ANNOUNCED_JOB]
    for _ in range(2):  # delivered twice (at-least-once), and a re-driven one on top
        await handler(worker.context, **announced[0].args)
    await worker.registry.handlers[ISSUE_JOB](worker.context, order_id=order["id"])
    assert await resources.db["tickets"].count_documents({"order_id": order["id"]}) == 2


async def test_concurrent_issuing_jobs_issue_once(sale: Sale, resources: Resources) -> None:

    order = await paid_order(sale, "usr_1", SEATS)
    keyring = load_keyring(resources.settings)
    services = [TicketService(resources.db, keyring) for _ in range(4)]  # 4 workers
    issued = await asyncio.gather(*[s.issue_for_order(order["id"]) for s in services])
    # Each call that inserted any ticket answers with both (those it found inserted by
    # another call read back as they stand); the others with none.
    assert any(issued)
    assert all(sorted(t.place for t in got) == sorted(PLACES) for got in issued if got)
    assert await resources.db["tickets"].count_documents({"order_id": order["id"]}) == 2
    assert await resources.db["ticket_events"].count_documents({}) == 1  # one key pair


async def test_refund_revokes_the_refunded_lines_tickets(sale: Sale, worker: Worker) -> None:
    order, tickets = await issued_order(sale, worker, "usr_1", SEATS)
    line = order["lines"][0]
    url = f"/orgs/org_a/orders/{order['id']}/refund"
    r = await sale.client.post(
        url, json={"line_ids": [line["line_id"]], "reason": "x"}, headers=sale.organizer
    )
    assert r.status_code == 200, r.text
    await run_jobs(worker)
    got = await sale.client.get(f"/orders/{order['id']}/tickets", headers=sale.buyer("usr_1"))
    status = {t["place"]: t["status"] for t in got.json()}
    assert status == {
        f"s:{line['seat_id']}": "revoked",
        f"s:{order['lines'][1]['seat_id']}": "valid",
    }
    assert len(tickets) == 2


async def test_a_lost_announcement_is_made_good_by_the_reconciliation(
    sale: Sale, worker: Worker, resources: Resources
) -> None:
    order = await paid_order(sale, "usr_1", SEATS)
    await resources.redis.delete(STREAM)  # Redis lost the job
    deadline = datetime.fromisoformat(order["payment_deadline"])
    assert await reconcile(resources.db, worker.queue, deadline + STALE - timedelta(seconds=1)) == 0
    assert await reconcile(resources.db, worker.queue, deadline + STALE + timedelta(seconds=1)) == 1
    await run_jobs(worker)
    assert await resources.db["tickets"].count_documents({"order_id": order["id"]}) == 2
    # Walked once: a second pass, even much later, re-sends nothing.
    assert await reconcile(resources.db, worker.queue, datetime.now(UTC) + timedelta(days=1)) == 0


async def test_announcements_a_redis_flush_took_are_re_sent_within_seconds(
    sale: Sale, worker: Worker, resources: Resources
) -> None:
    """A FLUSHALL takes the queued announcements of orders paid a moment ago: the
    worker's next look (every few seconds) re-sends their issuance, instead of the walk
    doing it once their payment deadline is `STALE` behind (25 minutes for a card)."""
    now = datetime.now(UTC)
    assert await after_redis_loss(resources.db, worker.queue, now) == 0  # first look: none paid
    assert await after_redis_loss(resources.db, worker.queue, now) == 0  # nothing lost
    issued, _ = await issued_order(sale, worker, "usr_1", SEATS)
    paid = await paid_order(sale, "usr_2", {"kind": "seats", "seat_ids": ["A:r-2:s-1"]})
    await resources.redis.flushall()  # its `order_paid` with everything else
    assert await after_redis_loss(resources.db, worker.queue, datetime.now(UTC)) == 1
    await run_jobs(worker)
    assert await resources.db["tickets"].count_documents({"order_id": paid["id"]}) == 1
    assert await resources.db["tickets"].count_documents({"order_id": issued["id"]}) == 2
    assert await after_redis_loss(resources.db, worker.queue, datetime.now(UTC)) == 0


async def test_the_signed_code_carries_the_ticket(sale: Sale, worker: Worker) -> None:
    _, tickets = await issued_order(sale, worker, "usr_1", SEATS)
    r = await sale.client.get(
        f"/me/tickets/{tickets[0]['id']}/live-code", headers=sale.buyer("usr_1")
    )
    assert r.status_code == 200, r.text
    claims = parse(r.json()["code"]).claims
    assert (claims.ticket_id, claims.event_id, claims.place, claims.version) == (
        tickets[0]["id"], sale.event_id, tickets[0]["place"], 1,
    )  # fmt: skip
    assert parse(r.json()["live_code"]).kind == "live"
    other = await sale.client.get(
        f"/me/tickets/{tickets[0]['id']}/live-code", headers=sale.buyer("usr_2")
    )
    assert other.status_code == 404  # only the holder's session gets the secret


async def _queued(resources: Resources) -> list[Job]:
    entries: Any = await resources.redis.xrange(STREAM)
    return [Job.decode(str(eid), fields[b"job"]) for eid, fields in entries]
