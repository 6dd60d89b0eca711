"""Bad input is a 422, never a 500 (issue 24, items 4-6): integers the store cannot hold,
text that cannot be encoded, control characters in names, numbers sent as strings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.catalog.conftest import ORG_A, bearer, create_venue, event_payload
from tests.members import add_member
from tests.orders.conftest import open_sale
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.fields import MAX_EXACT_INT
from ticketsafe.infra.resources import Resources

JSON_HEADERS = {"content-type": "application/json"}


def _codes(r: httpx.Response) -> tuple[int, str, list[str]]:
    body = r.json()
    return r.status_code, body["code"], [e["type"] for e in body.get("errors", [])]


@pytest.fixture
async def organizer(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> dict[str, str]:
    await add_member(resources, ORG_A, "usr_a")
    return bearer(app, Principal("usr_a", frozenset({Role.ORGANIZER})))


def _with_quota(venue_id: str, quota: Any) -> dict[str, Any]:
    body = event_payload(venue_id)
    body["ticket_types"][1]["quota"] = quota
    return body


@pytest.mark.parametrize("quota", [2**70, 2**63, MAX_EXACT_INT + 1, "40"])
async def test_an_integer_the_store_cannot_hold_is_refused(
    client: httpx.AsyncClient, resources: Resources, organizer: dict[str, str], quota: Any
) -> None:
    venue_id = await create_venue(client, organizer)
    r = await client.post(
        f"/organizations/{ORG_A}/events", json=_with_quota(venue_id, quota), headers=organizer
    )
    assert r.status_code == 422, r.text  # was 500: OverflowError from the driver
    assert r.json()["errors"][0]["loc"] == ["body", "ticket_types", 1, "quota"]
    r = await client.post(
        f"/organizations/{ORG_A}/events",
        json=_with_quota(venue_id, MAX_EXACT_INT),
        headers=organizer,
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "\\ud800@example.com", "password": "x"}',
        b'{"email": "ana@example.com", "password": "\\udc00"}',
        b'{"email": "ana@example.com", "password": "x", "\\ud800": 1}',
    ],
)
async def test_text_that_cannot_be_encoded_is_a_422(
    client: httpx.AsyncClient, resources: Resources, body: bytes
) -> None:
    r = await client.post("/auth/login", content=body, headers=JSON_HEADERS)
    assert _codes(r) == (422, "validation_failed", ["string_unicode"])  # was 500


async def test_unencodable_text_is_refused_on_every_route(
    client: httpx.AsyncClient, resources: Resources, organizer: dict[str, str]
) -> None:
    """Pydantic checks encodability only for strings with constraints; a plain `str`
    (here a webhook's event names) went on to the store: 500 before the one check."""
    body = b'{"url": "https://example.com/hook", "events": ["order.paid", "\\udfff"]}'
    r = await client.post(
        f"/orgs/{ORG_A}/webhooks", content=body, headers={**organizer, **JSON_HEADERS}
    )
    assert _codes(r) == (422, "validation_failed", ["string_unicode"])
    assert r.json()["errors"][0]["loc"] == ["body", "events", 1]


@pytest.mark.parametrize("name", ["Ana\x00", "Ana\nSouza", "Ana\x1b[31m", "Ana\x85"])
async def test_names_refuse_nul_and_control_characters(
    client: httpx.AsyncClient, resources: Resources, name: str
) -> None:
    r = await client.post(
        "/auth/register",
        json={"email": "ana@example.com", "password": "a long password", "name": name},
    )
    assert _codes(r) == (422, "validation_failed", ["string_pattern_mismatch"])
    r = await client.post(
        "/auth/register",
        json={"email": "ana@example.com", "password": "a long password", "name": "Ana Souza"},
    )
    assert r.status_code == 201, r.text


async def test_quantities_and_money_sent_as_strings_are_refused(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    sale = await open_sale(app, client, resources)
    buyer = sale.buyer("usr_buyer")
    url = f"/events/{sale.event_id}/holds"
    for quantity in ("2", True):
        r = await client.post(
            url, json={"kind": "ga", "area_id": "pista", "quantity": quantity}, headers=buyer
        )
        assert _codes(r) == (422, "validation_failed", ["int_type"]), r.text  # was 201
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    r = await sale.checkout(buyer, hold, total="5000")  # type: ignore[arg-type]
    assert _codes(r) == (422, "validation_failed", ["int_type"]), r.text
    r = await sale.checkout(buyer, hold, total=5000)
    assert r.status_code == 201, r.text
