"""Seed a demo organizer, a venue of a few thousand seats and two events on first start.

The seed goes through the public HTTP API (in process, over ASGI), exactly as an
organizer's client would: it exercises the same validation and lifecycle, and couples
to no domain's internals. It runs once per data directory: the logins it made are kept
in `data_dir/demo-logins.json` (0600) and printed on every start.

Events: "Demo: on sale now" (reserved seats + GA, waiting room open, a fast admission
rate) and "Demo: on sale in 10 minutes" (its pre-queue is open now; the draw happens at
on-sale), both in BRL with full and half-price (meia-entrada) tickets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

log = logging.getLogger("ticketsafe.demo")

SECTIONS = (("A", "Setor A"), ("B", "Setor B"), ("C", "Setor C"))
ROWS = 25
SEATS_PER_ROW = 40
GA_CAPACITY = 1_000
SEAT_SPACING = 10.0
SECTION_GAP = 40.0


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


class DemoSeedFailed(RuntimeError):
    """The API refused a demo request (the answer is in the message)."""


def logins_file(data_dir: Path) -> Path:
    return data_dir / "demo-logins.json"


def load_logins(data_dir: Path) -> list[DemoLogin] | None:
    path = logins_file(data_dir)
    if not path.is_file():
        return None
    return [DemoLogin(**item) for item in json.loads(path.read_text())]


def venue_layout() -> dict[str, Any]:
    """Three reserved sections side by side (3,000 seats, four wheelchair places in the
    front row of each) and a GA floor."""
    sections: list[dict[str, Any]] = []
    width = SEATS_PER_ROW * SEAT_SPACING
    for index, (section_id, name) in enumerate(SECTIONS):
        left = index * (width + SECTION_GAP)
        rows = []
        for r in range(ROWS):
            seats = []
            for s in range(SEATS_PER_ROW):
                seat: dict[str, Any] = {
                    "label": str(s + 1),
                    "x": left + s * SEAT_SPACING,
                    "y": r * SEAT_SPACING,
                    "category": "premium" if r < 5 else "standard",
                }
                if r == 0 and s < 4:
                    seat["accessibility"] = ["wheelchair"]
                seats.append(seat)
            rows.append({"label": str(r + 1), "seats": seats})
        sections.append({"kind": "reserved", "id": section_id, "name": name, "rows": rows})
    sections.append({"kind": "ga", "id": "pista", "name": "Pista", "capacity": GA_CAPACITY})
    return {
        "name": "Arena Demo",
        "city": "São Paulo",
        "address": "Av. Demonstração, 100",
        "timezone": "America/Sao_Paulo",
        "sections": sections,
    }


def event_body(venue_id: str, name: str, on_sale_at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "venue_id": venue_id,
        "name": name,
        "description": "Um evento de demonstração do TicketSafe. / A TicketSafe demo event.",
        "starts_at": (now + timedelta(days=30)).isoformat(),
        "ends_at": (now + timedelta(days=30, hours=3)).isoformat(),
        "price_levels": [
            {"id": "premium", "name": "Premium", "amount_minor": 35_000,
             "seat_categories": ["premium"]},
            {"id": "cadeira", "name": "Cadeira", "amount_minor": 18_000,
             "seat_categories": ["standard"]},
            {"id": "pista", "name": "Pista", "amount_minor": 12_000, "ga_areas": ["pista"]},
        ],
        "ticket_types": [
            {"id": "inteira", "kind": "full", "name": "Inteira"},
            {"id": "meia", "kind": "half", "name": "Meia-entrada",
             "eligibility_note": "estudantes, idosos, PcD e professores (Lei 12.933/2013)"},
        ],
        "sales": {"on_sale_at": on_sale_at.isoformat(),
                  "off_sale_at": (now + timedelta(days=29)).isoformat()},
        "per_buyer_limit": 6,
        "waiting_room": {"enabled": True, "pre_queue_minutes": 30, "pow_difficulty": 14,
                         "admission_rate_per_minute": 600},
    }  # fmt: skip


class _Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method != "GET":
            headers["Idempotency-Key"] = secrets.token_hex(16)
        response = await self.client.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            raise DemoSeedFailed(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def log_in(self, email: str, password: str) -> None:
        self.token = ""
        tokens = await self.call("POST", "/auth/login", {"email": email, "password": password})
        self.token = tokens["access_token"]


async def seed(app: FastAPI, data_dir: Path) -> list[DemoLogin]:
    """Create the demo once (the logins file says it was); return its logins."""
    existing = load_logins(data_dir)
    if existing is not None:
        return existing
    logins = [
        DemoLogin("organizer", "organizer@demo.ticketsafe.local", secrets.token_urlsafe(12)),
        DemoLogin("buyer", "buyer@demo.ticketsafe.local", secrets.token_urlsafe(12)),
    ]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
    async with httpx.AsyncClient(transport=transport, base_url="https://localhost") as client:
        api = _Api(client)
        for login, name in zip(logins, ("Organizadora Demo", "Comprador Demo"), strict=True):
            await api.call("POST", "/auth/register", {
                "email": login.email, "password": login.password, "name": name,
                "locale": "pt-BR",
            })  # fmt: skip
        organizer = logins[0]
        await api.log_in(organizer.email, organizer.password)
        org = await api.call("POST", "/organizations", {"name": "Produtora Demo"})
        await api.log_in(organizer.email, organizer.password)  # a token naming the new org
        venue = await api.call("POST", f"/organizations/{org['id']}/venues", venue_layout())
        now = datetime.now(UTC)
        now_event = await api.call(
            "POST", f"/organizations/{org['id']}/events",
            event_body(venue["id"], "Demo: à venda agora / on sale now", now, now),
        )  # fmt: skip
        soon_event = await api.call(
            "POST", f"/organizations/{org['id']}/events",
            event_body(venue["id"], "Demo: vendas em 10 minutos / on sale in 10 minutes",
                       now + timedelta(minutes=10), now),
        )  # fmt: skip
        await api.call("POST", f"/events/{now_event['id']}/status", {"status": "published"})
        # Its on_sale_at has passed: the sales clock may open it first (a 409 then).
        current = await api.call("GET", f"/events/{now_event['id']}")
        if current["status"] != "on_sale":
            try:
                await api.call("POST", f"/events/{now_event['id']}/status", {"status": "on_sale"})
            except DemoSeedFailed:
                current = await api.call("GET", f"/events/{now_event['id']}")
                if current["status"] != "on_sale":
                    raise
        await api.call("POST", f"/events/{soon_event['id']}/status", {"status": "published"})
    path = logins_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump([asdict(login) for login in logins], out, indent=2)
    return logins


async def seed_when_ready(app: FastAPI, data_dir: Path, *, timeout_s: float = 60.0) -> None:
    """Wait for the app's lifespan (clients, migrations), seed, print the logins. A
    failure is logged, never fatal: the shop runs without its demo."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while getattr(app.state, "resources", None) is None:
        if loop.time() > deadline:
            log.error("demo data skipped: the API did not start within %.0f s", timeout_s)
            return
        await asyncio.sleep(0.1)
    try:
        logins = await seed(app, data_dir)
    except (DemoSeedFailed, httpx.HTTPError, PyMongoError, RedisError) as exc:
        log.error("demo data could not be created: %s", exc)
        return
    lines = "\n".join(f"  {d.role:<10} {d.email}  password: {d.password}" for d in logins)
    print(f"Demo logins (TICKETSAFE_DEMO_DATA=false to turn the demo off):\n{lines}", flush=True)
