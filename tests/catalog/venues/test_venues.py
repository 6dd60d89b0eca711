"""Venue import/export (JSON and CSV) and layout validation, against the real stores."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.catalog.conftest import (
    ORG_A,
    Headers,
    create_event,
    create_venue,
    move,
    reserved,
    small_venue,
)
from ticketsafe.catalog.venues.repository import CHUNK_SEATS, CHUNKS
from ticketsafe.infra.resources import Resources


async def _post(client: httpx.AsyncClient, headers: Headers, body: Any) -> httpx.Response:
    return await client.post(f"/organizations/{ORG_A}/venues", json=body, headers=headers)


async def test_create_venue_answers_summary(client: httpx.AsyncClient, org_a: Headers) -> None:
    r = await _post(client, org_a, small_venue())
    assert r.status_code == 201
    venue = r.json()
    assert venue["org_id"] == ORG_A
    assert venue["seat_count"] == 14
    assert venue["ga_capacity"] == 100
    assert venue["categories"] == ["standard", "vip"]
    assert [(s["id"], s["kind"], s["capacity"]) for s in venue["sections"]] == [
        ("A", "reserved", 12),
        ("VIP", "reserved", 2),
        ("pista", "ga", 100),
    ]
    assert "layout_id" not in venue


async def test_json_export_round_trips(client: httpx.AsyncClient, org_a: Headers) -> None:
    body = small_venue()
    venue_id = await create_venue(client, org_a, body)
    r = await client.get(f"/venues/{venue_id}/layout", headers=org_a)
    assert r.status_code == 200
    exported = r.json()
    assert exported["sections"][1]["rows"][0]["seats"][0]["accessibility"] == ["wheelchair"]
    again = await _post(client, org_a, exported)
    assert again.status_code == 201
    r2 = await client.get(f"/venues/{again.json()['id']}/layout", headers=org_a)
    assert r2.json() == exported


async def test_duplicate_seat_label_is_located(client: httpx.AsyncClient, org_a: Headers) -> None:
    body = small_venue()
    body["sections"][0]["rows"][1]["seats"][2]["label"] = "1"
    r = await _post(client, org_a, body)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "invalid_layout"
    [error] = problem["errors"]
    assert error["code"] == "duplicate_seat_label"
    assert error["loc"] == ["body", "sections", 0, "rows", 1, "seats", 2, "label"]
    assert error["where"] == "section A, row 2, seat 1"


async def test_overlapping_seats_are_reported(client: httpx.AsyncClient, org_a: Headers) -> None:
    body = small_venue()
    body["sections"][1]["rows"][0]["seats"][1].update(x=0.1, y=0.2)  # onto A row 1 seat 1
    r = await _post(client, org_a, body)
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["code"] == "overlapping_seats"
    assert error["where"] == "section VIP, row 1, seat 2"
    assert "section A, row 1, seat 1" in error["msg"]


async def test_every_problem_is_listed(client: httpx.AsyncClient, org_a: Headers) -> None:
    body = small_venue()
    body["sections"][0]["rows"][2]["seats"] = []
    body["sections"][0]["rows"][1]["label"] = "1"
    body["sections"][2]["id"] = "A"
    r = await _post(client, org_a, body)
    assert r.status_code == 422
    codes = sorted(e["code"] for e in r.json()["errors"])
    assert codes == ["duplicate_row_label", "duplicate_section_id", "empty_row"]


async def test_label_with_colon_fails_field_validation(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    body = small_venue()
    body["sections"][0]["rows"][0]["seats"][0]["label"] = "1:2"
    r = await _post(client, org_a, body)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"
    assert r.json()["errors"][0]["loc"][:3] == ["body", "sections", 0]


async def test_csv_export_then_import_keeps_seats(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    before = (await client.get(f"/venues/{venue_id}/layout", headers=org_a)).json()
    csv_text = (await client.get(f"/venues/{venue_id}/seats.csv", headers=org_a)).text
    assert csv_text.splitlines()[1] == "A,1,1,0,0,standard,,false,Setor A"
    r = await client.put(
        f"/venues/{venue_id}/seats.csv",
        content=csv_text,
        headers={**org_a, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["layout_version"] == 2
    after = (await client.get(f"/venues/{venue_id}/layout", headers=org_a)).json()
    assert after == before


async def test_csv_errors_name_line_and_column(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    text = (
        "section,row,seat,x,y,category,accessibility,blocked\n"
        "A,1,1,0,0,standard,,false\n"
        "A,1,2,abc,0,standard,,false\n"
        "A,1,3,2,0,standard,flying,maybe\n"
    )
    r = await client.put(
        f"/venues/{venue_id}/seats.csv", content=text, headers={**org_a, "Content-Type": "text/csv"}
    )
    assert r.status_code == 422
    wheres = [e["where"] for e in r.json()["errors"]]
    assert wheres == ["line 3, column x", "line 4, column blocked"]


async def test_replacing_layout_drops_old_chunks(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    layout = {"sections": [reserved("B", 2, 3)]}
    r = await client.put(f"/venues/{venue_id}/layout", json=layout, headers=org_a)
    assert r.status_code == 200
    assert r.json()["seat_count"] == 6
    chunks = await resources.db[CHUNKS].find({"venue_id": venue_id}).to_list()
    assert {c["section_id"] for c in chunks} == {"B"}


async def test_layout_frozen_once_event_published(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    r = await client.put(
        f"/venues/{venue_id}/layout", json={"sections": [reserved("B", 1, 1)]}, headers=org_a
    )
    assert r.status_code == 409
    assert r.json()["code"] == "venue_in_use"


async def test_large_section_is_stored_in_chunks(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    body = copy.deepcopy(small_venue())
    body["sections"] = [reserved("BIG", 100, 50)]  # 5,000 seats
    venue_id = await create_venue(client, org_a, body)
    chunks = await resources.db[CHUNKS].find({"venue_id": venue_id}).to_list()
    assert len(chunks) == -(-5_000 // CHUNK_SEATS)
    assert sum(len(row["seats"]) for c in chunks for row in c["rows"]) == 5_000


async def test_list_venues_of_organization(client: httpx.AsyncClient, org_a: Headers) -> None:
    await create_venue(client, org_a, small_venue(name="Zeta"))
    await create_venue(client, org_a, small_venue(name="Alfa"))
    r = await client.get(f"/organizations/{ORG_A}/venues", headers=org_a)
    assert [v["name"] for v in r.json()["items"]] == ["Alfa", "Zeta"]


async def test_venues_and_events_page_with_a_cursor(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    """No silent cap on an organization's venues or events: a cursor walks them all in
    order (venues by name, events by start); a cursor of another list's kind is a 400."""
    names = ["Delta", "Alfa", "Charlie", "Bravo", "Echo"]
    venue_ids = [await create_venue(client, org_a, small_venue(name=n)) for n in names]
    for days in (40, 10, 30, 20, 50):
        await create_event(client, org_a, venue_ids[0], days=days)

    async def walk(url: str, key: str) -> list[str]:
        seen: list[str] = []
        cursor: str | None = None
        for _ in range(3):
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await client.get(url, params=params, headers=org_a)).json()
            seen += [item[key] for item in page["items"]]
            cursor = page["next_cursor"]
        assert cursor is None
        return seen

    venues = f"/organizations/{ORG_A}/venues"
    assert await walk(venues, "name") == sorted(names)
    starts = await walk(f"/organizations/{ORG_A}/events", "starts_at")
    assert len(starts) == 5
    assert starts == sorted(starts)
    first = await client.get(venues, params={"limit": "1"}, headers=org_a)
    venue_cursor = first.json()["next_cursor"]  # a venue cursor (by name) …
    wrong = await client.get(
        f"/organizations/{ORG_A}/events", params={"cursor": venue_cursor}, headers=org_a
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_cursor")  # … not here


async def test_retried_import_creates_one_venue(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    headers = {**org_a, "Idempotency-Key": "venue-import-1"}
    first = await _post(client, headers, small_venue())
    again = await _post(client, headers, small_venue())
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await resources.db["venues"].count_documents({}) == 1
