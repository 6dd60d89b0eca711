"""The demo seed: through the real API against the real stores, once per data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
from fastapi import FastAPI

from ticketsafe.demo.seed import SEATS_PER_ROW, SECTIONS, seed


async def test_the_demo_creates_two_events_with_logins_that_work_and_only_once(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    logins = await seed(app, tmp_path)
    assert {d.role for d in logins} == {"organizer", "buyer"}
    assert stat.S_IMODE((tmp_path / "demo-logins.json").stat().st_mode) == 0o600
    events = (await client.get("/events")).json()["items"]
    assert sorted(e["status"] for e in events) == ["on_sale", "published"]
    on_sale = next(e for e in events if e["status"] == "on_sale")
    seat_map = (await client.get(f"/events/{on_sale['id']}/seat-map")).json()
    assert len(seat_map["seats"]) == len(SECTIONS) * 25 * SEATS_PER_ROW
    assert any("wheelchair" in s["accessibility"] for s in seat_map["seats"])
    assert [t["kind"] for t in on_sale["ticket_types"]] == ["full", "half"]
    buyer = next(d for d in logins if d.role == "buyer")
    r = await client.post("/auth/login", json={"email": buyer.email, "password": buyer.password})
    assert r.status_code == 200

    again = await seed(app, tmp_path)  # a restart: the same logins, nothing new
    assert again == logins
    assert len((await client.get("/events")).json()["items"]) == 2
