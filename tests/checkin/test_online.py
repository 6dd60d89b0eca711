"""Online check-in: genuine live codes admit once; everything else is refused in words a
steward can act on, never with a 500."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from tests.checkin.conftest import Gate, grant_steward
from tests.orders.conftest import open_sale, run_jobs
from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.app import create_app
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.tickets import codes

SEATS = {"kind": "seats", "seat_ids": ["A:r-1:s-1", "A:r-1:s-2"]}
ONE = {"kind": "seats", "seat_ids": ["A:r-2:s-1"]}


def secret(ticket: dict[str, Any]) -> bytes:
    text = ticket["secret_b32"]
    return base64.b32decode(text + "=" * (-len(text) % 8))


def refusal(r: httpx.Response) -> tuple[int, str]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return r.status_code, str(r.json()["code"])


async def test_a_live_code_admits_once_then_says_where_it_was_used(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    first = await gate.scan(ticket["live_code"], gate="North")
    assert first.status_code == 200, first.text
    assert (first.json()["kind"], first.json()["place"]) == ("live", "s:A:r-2:s-1")
    again = await gate.scan(ticket["live_code"], gate="South", device="dev-2")
    assert refusal(again) == (409, "already_used")
    assert again.json()["used_gate"] == "North"
    assert "Already used at gate North at " in again.json()["detail"]


async def test_a_forged_signature_is_not_a_ticketsafe_code(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    prefix, payload, signature = ticket["code"].split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    r = await gate.scan(f"{prefix}.{payload}.{flipped}")
    assert refusal(r) == (400, "not_ticketsafe_code")
    # The same claims signed by a key that is not the event's.
    claims = codes.parse(ticket["code"]).claims
    r = await gate.scan(codes.sign(Ed25519PrivateKey.generate(), claims))
    assert refusal(r) == (400, "not_ticketsafe_code")
    assert (await gate.scan(ticket["live_code"])).status_code == 200  # still admits


async def test_an_altered_seat_breaks_the_signature(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    prefix, _, signature = ticket["code"].split(".")
    claims = codes.parse(ticket["code"]).claims
    better = codes.TicketClaims(claims.ticket_id, claims.event_id, "s:A:r-1:s-5", "full", 1)
    payload = base64.urlsafe_b64encode(better.payload()).decode().rstrip("=")
    r = await gate.scan(f"{prefix}.{payload}.{signature}")
    assert refusal(r) == (400, "not_ticketsafe_code")


async def test_a_screenshot_replayed_after_the_window_is_refused(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    taken_long_ago = codes.live(ticket["code"], secret(ticket), time.time() - 60)
    r = await gate.scan(taken_long_ago)
    assert refusal(r) == (409, "code_expired")
    assert "ask for the live code" in r.json()["detail"]
    within_window = codes.live(ticket["code"], secret(ticket), time.time() - 15)
    assert (await gate.scan(within_window)).status_code == 200


async def test_static_codes_admit_until_the_organizer_disables_them(gate: Gate) -> None:
    a, b = await gate.tickets("usr_1", SEATS)
    r = await gate.scan(a["code"])
    assert (r.status_code, r.json()["kind"]) == (200, "static")
    policy = await gate.sale.client.put(
        f"/orgs/org_a/events/{gate.sale.event_id}/ticket-policy",
        json={"static_codes": False, "transfer_limit": 1}, headers=gate.sale.organizer,
    )  # fmt: skip
    assert policy.status_code == 200, policy.text
    gate.sale.app.state.services.tickets.keys._policies.clear()  # the cache would see it in 2 s
    assert refusal(await gate.scan(b["code"])) == (409, "static_not_accepted")
    assert (await gate.scan(b["live_code"])).status_code == 200


async def test_a_refunded_ticket_is_revoked_at_the_gate(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    url = f"/orgs/org_a/orders/{ticket['order_id']}/refund"
    r = await gate.sale.client.post(url, json={"reason": "x"}, headers=gate.sale.organizer)
    assert r.status_code == 200, r.text
    await run_jobs(gate.worker)
    assert refusal(await gate.scan(ticket["live_code"])) == (410, "revoked")


async def test_a_ticket_for_another_event_is_refused(gate: Gate, resources: Resources) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    other = await open_sale(gate.sale.app, gate.sale.client, resources)
    await grant_steward(resources, other.event_id)
    r = await gate.scan(ticket["live_code"], event_id=other.event_id)
    assert refusal(r) == (409, "wrong_event")


async def test_bad_input_gets_a_typed_refusal_never_a_500(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    code = ticket["live_code"]
    for i, bad in enumerate([
        "", "hello", code[: len(code) // 2], code[:-3], code + "x", code.replace(".", ",", 1),
        "TS1.%%%.%%%", "TS1." + "A" * 600, "TS1.é.x", "TS1.W10.AAAA", code.lower(),
        code.split("~")[0] + "~12ab56", "TS1..", "\x00" * 10,
    ]):  # fmt: skip
        r = await gate.scan(bad, device=f"dev-{i}")  # (one device would be rate limited)
        assert refusal(r) == (400, "not_ticketsafe_code"), bad
    assert (await gate.scan("x" * 5000)).status_code == 422  # an absurd body


async def test_only_gate_staff_scan(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    r = await gate.sale.client.post(
        f"/events/{gate.sale.event_id}/checkin/scans",
        json={"code": ticket["live_code"], "gate": "N", "device_id": "d"},
        headers=gate.sale.buyer("usr_1"),
    )
    assert refusal(r) == (403, "not_gate_staff")


async def test_scans_are_rate_limited_per_device(gate: Gate) -> None:
    answers = [(await gate.scan("junk", device="dev-9")).status_code for _ in range(15)]
    assert answers[:10] == [400] * 10
    assert 429 in answers[10:]
    assert (await gate.scan("junk", device="dev-10")).status_code == 400  # another device


async def test_two_api_processes_scanning_one_ticket_admit_exactly_once(
    gate: Gate, settings: Settings
) -> None:
    tickets = [
        *await gate.tickets("usr_1", SEATS),
        *await gate.tickets("usr_2", {"kind": "ga", "area_id": "pista", "quantity": 4}),
    ]
    apps: list[FastAPI] = [create_app(settings), create_app(settings)]
    async with (
        apps[0].router.lifespan_context(apps[0]),
        apps[1].router.lifespan_context(apps[1]),
        uvicorn_on_loopback(apps[0]) as port_a,
        uvicorn_on_loopback(apps[1]) as port_b,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}") as a,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}") as b,
    ):
        answers = await asyncio.gather(*[
            gate.scan(t["live_code"], gate=name, device=f"dev-{name}", client=c)
            for t in tickets for name, c in (("A", a), ("B", b))
        ])  # fmt: skip
    for i in range(len(tickets)):
        pair = sorted(r.status_code for r in answers[2 * i : 2 * i + 2])
        assert pair == [200, 409], [r.text for r in answers[2 * i : 2 * i + 2]]
        loser = next(r for r in answers[2 * i : 2 * i + 2] if r.status_code == 409)
        assert loser.json()["code"] == "already_used"
