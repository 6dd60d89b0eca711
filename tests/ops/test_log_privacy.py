"""Invariant 6 in the logs: marked personal data and secrets go through every endpoint
that takes any (account, profile, organization members, password reset, checkout with
card, ticket transfer), through refusals that echo input (422) and through the query
string and headers; the worker then runs every job. The JSON log lines of all that,
at DEBUG, carry request ids, user ids and event ids, and none of the marked values."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.identity.conftest import run_worker_until_idle
from tests.orders.conftest import open_sale
from ticketsafe.infra.logs import JsonFormatter
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings

MARK = "Qxzmarker"
NAME = f"Joana {MARK} Albuquerque"
EMAIL = f"joana.{MARK.lower()}@example.com"
OTHER_EMAIL = f"pedro.{MARK.lower()}@example.org"
PHONE = "+55 11 97531-8642"
CPF = "111.444.777-35"
PASSWORD = f"senha {MARK} secreta 77"
CARD = "4242424242424242"
NEEDLES = [
    MARK, "Albuquerque", "joana.", "pedro.", "97531-8642", "975318642", CPF, "11144477735",
    "senha", CARD, "4242 4242",
]  # fmt: skip


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, as the JSON lines production writes."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("test"))
    root, client = logging.getLogger(), logging.getLogger("httpx")
    levels = root.level, client.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    client.setLevel(logging.WARNING)  # the test's own client (quiet in production too)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        client.setLevel(levels[1])


def _bearer(tokens: httpx.Response) -> dict[str, str]:
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def _identity(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    r = await client.post(
        "/auth/register",
        headers={"Idempotency-Key": f"reg-{MARK}"},
        json={"email": EMAIL, "password": PASSWORD, "name": NAME, "phone": PHONE, "cpf": CPF},
    )
    assert r.status_code == 201, r.text
    user_id = str(r.json()["id"])
    await client.post(
        "/auth/register", json={"email": OTHER_EMAIL, "password": PASSWORD, "name": NAME}
    )
    await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD + "x"})
    headers = _bearer(await client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}))
    await client.patch("/me", headers=headers, json={"name": NAME, "phone": PHONE})
    org = await client.post("/organizations", headers=headers, json={"name": "Arena Norte"})
    await client.post(
        f"/organizations/{org.json()['id']}/members", headers=headers, json={"email": OTHER_EMAIL}
    )
    await client.post("/auth/password-reset", json={"email": EMAIL})
    return user_id, headers


async def _refusals(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Bodies, query strings and headers that carry personal data and are refused."""
    await client.post("/auth/register", json={"email": f"{MARK}-not-an-email", "name": NAME})
    await client.post("/auth/login", json={"email": EMAIL, "password": 12345})
    await client.get(f"/events?search={EMAIL}&cpf={CPF}", headers=headers)
    await client.get(f"/nowhere/{EMAIL}", headers={"X-Request-ID": EMAIL, "User-Agent": NAME})
    await client.patch("/me", headers=headers, json={"name": NAME * 20, "phone": PHONE + "9" * 30})


async def _purchase(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, headers: dict[str, str]
) -> tuple[str, str]:
    sale = await open_sale(app, client, resources)
    hold = await client.post(
        f"/events/{sale.event_id}/holds",
        json={"kind": "ga", "area_id": "pista", "quantity": 1},
        headers=headers,
    )
    assert hold.status_code == 201, hold.text
    token = await client.post(
        "/sandbox-psp/v1/tokens",
        json={"number": CARD, "exp_month": 12, "exp_year": 2099, "cvc": "987"},
    )
    ticket = {
        "area_id": "pista", "ticket_type_id": "full", "holder_name": NAME, "holder_cpf": CPF,
    }  # fmt: skip
    body: dict[str, Any] = {
        "hold_id": hold.json()["hold_id"], "payment_method": "card_sandbox",
        "card_token": token.json()["token"],
        "buyer": {"name": NAME, "email": EMAIL, "phone": PHONE},
        "tickets": [ticket], "expected_total_cents": 5_000,
    }  # fmt: skip
    order = await client.post("/orders", json=body, headers=headers)
    assert order.status_code == 201, order.text
    return sale.event_id, str(order.json()["id"])


async def test_logs_carry_ids_and_never_personal_data(
    app: FastAPI,
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    json_log: io.StringIO,
) -> None:
    user_id, headers = await _identity(client)
    await _refusals(client, headers)
    event_id, _ = await _purchase(app, client, resources, headers)
    await run_worker_until_idle(resources, settings)  # tickets, receipts, mail
    tickets = await client.get("/me/tickets", headers=headers)
    for ticket in tickets.json()["items"]:
        await client.post(
            f"/me/tickets/{ticket['id']}/transfers", json={"email": OTHER_EMAIL}, headers=headers
        )
    await run_worker_until_idle(resources, settings)

    text = json_log.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines()]
    holds = [e for e in lines if e.get("msg") == "POST /events/{event_id}/holds 201"]
    assert holds, "the access log did not log the hold"
    assert (holds[0]["user_id"], holds[0]["event_id"]) == (user_id, event_id)
    assert holds[0]["request_id"]
    assert any(e.get("logger") == "ticketsafe.worker" for e in lines)  # the worker's too
    assert tickets.json()["items"], "no ticket was issued: the transfer was not tried"
    leaks = [line for line in text.splitlines() if any(n.lower() in line.lower() for n in NEEDLES)]
    assert leaks == [], "\n".join(leaks)
