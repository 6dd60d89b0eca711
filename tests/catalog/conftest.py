"""Catalog test helpers: tokens for organizers of two organizations, and small layouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.members import add_member
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.resources import Resources

ORG_A = "org_a"
ORG_B = "org_b"
Headers = dict[str, str]
JSON = dict[str, Any]


def bearer(app: FastAPI, principal: Principal) -> Headers:
    return {"Authorization": f"Bearer {app.state.services.token_codec.issue(principal)}"}


@pytest.fixture
async def org_a(app: FastAPI, client: httpx.AsyncClient, resources: Resources) -> Headers:
    """An organizer of ORG_A (the `client` fixture runs the lifespan that makes the codec)."""
    await add_member(resources, ORG_A, "usr_a")
    return bearer(app, Principal("usr_a", frozenset({Role.ORGANIZER})))


@pytest.fixture
async def org_b(app: FastAPI, client: httpx.AsyncClient, resources: Resources) -> Headers:
    await add_member(resources, ORG_B, "usr_b")
    return bearer(app, Principal("usr_b", frozenset({Role.ORGANIZER})))


@pytest.fixture
def buyer(app: FastAPI, client: httpx.AsyncClient) -> Headers:
    return bearer(app, Principal("usr_buyer", frozenset({Role.BUYER}), (ORG_A,)))


def seat(label: str, x: float, y: float, **extra: Any) -> JSON:
    return {"label": label, "x": x, "y": y, **extra}


def reserved(section_id: str, rows: int, per_row: int, *, y0: float = 0, **seat_extra: Any) -> JSON:
    return {
        "kind": "reserved",
        "id": section_id,
        "name": f"Setor {section_id}",
        "rows": [
            {
                "label": str(r + 1),
                "seats": [seat(str(s + 1), float(s), y0 + r, **seat_extra) for s in range(per_row)],
            }
            for r in range(rows)
        ],
    }


def small_venue(name: str = "Teatro Municipal", city: str = "São Paulo") -> JSON:
    """Section A: 3 rows × 4 standard seats; section VIP: 1 row × 2 vip seats (one
    wheelchair); GA area `pista` for 100."""
    vip = reserved("VIP", 1, 2, y0=10, category="vip")
    vip["rows"][0]["seats"][0]["accessibility"] = ["wheelchair"]
    return {
        "name": name,
        "city": city,
        "address": "Praça Ramos de Azevedo",
        "timezone": "America/Sao_Paulo",
        "sections": [
            reserved("A", 3, 4),
            vip,
            {"kind": "ga", "id": "pista", "name": "Pista", "capacity": 100},
        ],
    }


def event_payload(venue_id: str, *, name: str = "Concerto", days: int = 30, **extra: Any) -> JSON:
    starts = datetime(2030, 1, 1, 20, tzinfo=UTC) + timedelta(days=days)
    body: JSON = {
        "venue_id": venue_id,
        "name": name,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "price_levels": [
            {"id": "p1", "name": "Plateia", "amount_minor": 10000, "seat_categories": ["standard"]},
            {"id": "p2", "name": "VIP", "amount_minor": 25000, "seat_categories": ["vip"]},
            {"id": "p3", "name": "Pista", "amount_minor": 5000, "ga_areas": ["pista"]},
        ],
        "ticket_types": [
            {"id": "full", "kind": "full", "name": "Inteira"},
            {
                "id": "meia",
                "kind": "half",
                "name": "Meia-entrada",
                "eligibility_note": "Estudantes, idosos, PcD",
                "quota": 40,
            },
        ],
        "sales": {
            "on_sale_at": (starts - timedelta(days=20)).isoformat(),
            "off_sale_at": starts.isoformat(),
        },
    }
    body.update(extra)
    return body


async def create_venue(
    client: httpx.AsyncClient, headers: Headers, body: JSON | None = None
) -> str:
    r = await client.post(
        f"/organizations/{ORG_A}/venues", json=body or small_venue(), headers=headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def create_event(
    client: httpx.AsyncClient, headers: Headers, venue_id: str, **extra: Any
) -> str:
    r = await client.post(
        f"/organizations/{ORG_A}/events", json=event_payload(venue_id, **extra), headers=headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def move(client: httpx.AsyncClient, headers: Headers, event_id: str, *statuses: str) -> None:
    for status in statuses:
        r = await client.post(
            f"/events/{event_id}/status", json={"status": status}, headers=headers
        )
        assert r.status_code == 200, r.text
