"""Event creation and editing rules."""

from __future__ import annotations

import httpx

from tests.catalog.conftest import ORG_A, Headers, create_event, create_venue, event_payload, move


async def test_draft_gets_defaults(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    body = event_payload(venue_id)
    del body["ticket_types"]
    r = await client.post(f"/organizations/{ORG_A}/events", json=body, headers=org_a)
    assert r.status_code == 201
    event = r.json()
    assert event["status"] == "draft"
    assert event["currency"] == "BRL"
    assert event["hold_duration_s"] == 600
    assert event["waiting_room"] == {
        "enabled": False,
        "pre_queue_minutes": 15,
        "admission_rate_per_minute": None,
        "pow_difficulty": 18,
    }
    assert [t["kind"] for t in event["ticket_types"]] == ["full"]
    assert event["venue_name"] == "Teatro Municipal"
    assert event["city"] == "São Paulo"


async def test_english_locale_defaults_to_dollars(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    r = await client.post(
        f"/organizations/{ORG_A}/events",
        json=event_payload(venue_id, locale="en"),
        headers=org_a,
    )
    assert r.json()["currency"] == "USD"


async def test_price_for_unknown_category_refused(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    body = event_payload(venue_id)
    body["price_levels"][0]["seat_categories"] = ["balcony"]
    r = await client.post(f"/organizations/{ORG_A}/events", json=body, headers=org_a)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "invalid_event"
    assert problem["errors"][0]["code"] == "unknown_seat_category"
    assert problem["errors"][0]["loc"] == ["body", "price_levels", 0, "seat_categories", 0]


async def test_half_price_needs_eligibility_note(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    body = event_payload(venue_id)
    del body["ticket_types"][1]["eligibility_note"]
    r = await client.post(f"/organizations/{ORG_A}/events", json=body, headers=org_a)
    assert r.status_code == 422
    assert "eligibility_note" in r.json()["errors"][0]["msg"]


async def test_end_before_start_refused(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    body = event_payload(venue_id)
    body["ends_at"] = body["starts_at"]
    r = await client.post(f"/organizations/{ORG_A}/events", json=body, headers=org_a)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"


async def test_naive_datetime_refused(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    body = event_payload(venue_id, starts_at="2030-02-01T20:00:00")
    r = await client.post(f"/organizations/{ORG_A}/events", json=body, headers=org_a)
    assert r.status_code == 422


async def test_patch_draft_changes_prices(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    levels = event_payload(venue_id)["price_levels"]
    levels[0]["amount_minor"] = 12345
    r = await client.patch(f"/events/{event_id}", json={"price_levels": levels}, headers=org_a)
    assert r.status_code == 200
    assert r.json()["price_levels"][0]["amount_minor"] == 12345
    assert r.json()["version"] == 2


async def test_patch_that_breaks_event_is_422_not_500(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    r = await client.patch(
        f"/events/{event_id}", json={"ends_at": "2000-01-01T00:00:00Z"}, headers=org_a
    )
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_event"


async def test_prices_frozen_after_publish(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    r = await client.patch(f"/events/{event_id}", json={"per_buyer_limit": 2}, headers=org_a)
    assert r.status_code == 409
    assert r.json()["code"] == "event_not_editable"
    assert r.json()["fields"] == ["per_buyer_limit"]


async def test_description_editable_after_publish(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    r = await client.patch(
        f"/events/{event_id}",
        json={"description": "Nova descrição", "image_urls": ["https://img.example/a.png"]},
        headers=org_a,
    )
    assert r.status_code == 200
    assert r.json()["description"] == "Nova descrição"
    assert r.json()["image_urls"] == ["https://img.example/a.png"]


async def test_org_events_include_drafts(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    r = await client.get(f"/organizations/{ORG_A}/events", headers=org_a)
    assert [e["id"] for e in r.json()["items"]] == [event_id]
