"""An event on sale (venue + event through the catalog API, opened for sale), buyers
with tokens, and helpers to hold and check out through the real HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.members import add_member
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.jobs import Job
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import build_registry

ORG = "org_a"
Headers = dict[str, str]


def bearer(app: FastAPI, principal: Principal) -> Headers:
    return {"Authorization": f"Bearer {app.state.services.token_codec.issue(principal)}"}


@dataclass
class Sale:
    event_id: str
    organizer: Headers
    app: FastAPI
    client: httpx.AsyncClient

    def buyer(self, user_id: str) -> Headers:
        return bearer(self.app, Principal(user_id))

    async def hold(self, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.client.post(f"/events/{self.event_id}/holds", json=body, headers=headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def checkout(
        self, headers: Headers, hold: dict[str, Any], *, method: str = "pix",
        ticket_type: str = "full", total: int | None = None, key: str | None = None,
        **extra: Any,
    ) -> httpx.Response:  # fmt: skip
        tickets = [
            {"seat_id": s, "ticket_type_id": ticket_type, "holder_name": "Ana Souza",
             "half_price_eligible": ticket_type == "meia"}
            for s in hold["seats"]
        ] + [
            {"area_id": a, "ticket_type_id": ticket_type, "holder_name": "Ana Souza",
             "half_price_eligible": ticket_type == "meia"}
            for a, n in hold["ga"].items() for _ in range(n)
        ]  # fmt: skip
        unit = 10_000 if hold["seats"] else 5_000
        if ticket_type == "meia":
            unit //= 2
        body = {
            "hold_id": hold["hold_id"], "payment_method": method,
            "buyer": {"name": "Ana Souza", "email": "ana@example.com.br"},
            "tickets": tickets,
            "expected_total_cents": unit * len(tickets) if total is None else total,
            **extra,
        }  # fmt: skip
        headers = {**headers, **({"Idempotency-Key": key} if key else {})}
        return await self.client.post("/orders", json=body, headers=headers)


def venue() -> dict[str, Any]:
    rows = [
        {"label": str(r + 1), "seats": [{"label": str(s + 1), "x": float(s), "y": float(r)}
                                        for s in range(5)]}
        for r in range(2)
    ]  # fmt: skip
    return {
        "name": "Teatro Municipal", "city": "São Paulo", "address": "Praça Ramos",
        "timezone": "America/Sao_Paulo",
        "sections": [
            {"kind": "reserved", "id": "A", "name": "Plateia A", "rows": rows},
            {"kind": "ga", "id": "pista", "name": "Pista", "capacity": 20},
        ],
    }  # fmt: skip


def event(venue_id: str, **extra: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=30)
    body = {
        "venue_id": venue_id, "name": "Show de Teste",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "price_levels": [
            {"id": "p1", "name": "Plateia", "amount_minor": 10_000,
             "seat_categories": ["standard"]},
            {"id": "p3", "name": "Pista", "amount_minor": 5_000, "ga_areas": ["pista"]},
        ],
        "ticket_types": [
            {"id": "full", "kind": "full", "name": "Inteira"},
            {"id": "meia", "kind": "half", "name": "Meia-entrada",
             "eligibility_note": "Estudantes, idosos, PcD", "quota": 2},
            {"id": "cortesia", "kind": "courtesy", "name": "Cortesia"},
        ],
        "sales": {"on_sale_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                  "off_sale_at": starts.isoformat()},
        "per_buyer_limit": 10,
    }  # fmt: skip
    body.update(extra)
    return body


async def open_sale(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, **event_extra: Any
) -> Sale:
    await add_member(resources, ORG, "usr_org")
    organizer = bearer(app, Principal("usr_org", frozenset({Role.ORGANIZER})))
    r = await client.post(f"/organizations/{ORG}/venues", json=venue(), headers=organizer)
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/organizations/{ORG}/events", json=event(r.json()["id"], **event_extra),
        headers=organizer,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    for status in ("published", "on_sale"):
        s = await client.post(
            f"/events/{event_id}/status", json={"status": status}, headers=organizer
        )
        assert s.status_code == 200, s.text
    return Sale(event_id, organizer, app, client)


@pytest.fixture
async def sale(app: FastAPI, client: httpx.AsyncClient, resources: Resources) -> Sale:
    return await open_sale(app, client, resources)


@pytest.fixture
async def worker(settings: Any, app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Worker]:
    res = Resources.open(settings)
    worker = Worker(res, build_registry(Services.build(res)), block_ms=20)
    yield worker
    await worker.registry.close()
    await res.close()


async def run_jobs(worker: Worker, rounds: int = 20, *, send_mail: bool = False) -> list[Job]:
    """Run queued jobs (and the jobs they queue) until the queue is empty; `mail.send`
    only with `send_mail` (a worker with an SMTP server: `mail_settings`). Returns the
    `mail.send` jobs left unrun (acknowledged all the same)."""
    await worker.queue.ensure_group()
    await worker.queue.promote_due()
    unsent: list[Job] = []
    for _ in range(rounds):
        jobs = await worker.queue.read(worker.consumer, 50, 20)
        if not jobs:
            break
        for job in jobs:
            if send_mail or job.name != "mail.send":  # else receipts stay in the outbox
                await worker.registry.handlers[job.name](worker.context, **job.args)
            else:
                unsent.append(job)
            await worker.queue.ack(job)
    return unsent
