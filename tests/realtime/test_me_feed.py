"""Holds and tickets on the buyer's `me` channel: created, extended, released and
expired holds; tickets issued by the worker and transferred between holders."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson

from tests.checkin.conftest import Gate, gate
from tests.orders.conftest import Sale, sale, worker
from tests.tickets.test_transfer import offer, register
from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.app import create_app
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.live import holds_expired
from ticketsafe.inventory.service import InventoryService

__all__ = ["gate", "sale", "worker"]
ONE = {"kind": "seats", "seat_ids": ["A:r-1:s-1"]}


async def me(resources: Resources, user_id: str, want: int) -> list[tuple[str, dict[str, Any]]]:
    """The user's live stream once it holds `want` messages (publishing is not awaited)."""
    for _ in range(200):
        entries: Any = await resources.redis.xrange(f"ts:live:user:{user_id}")
        if len(entries) >= want:
            return [(f[b"type"].decode(), orjson.loads(f[b"data"])) for _, f in entries]
        await asyncio.sleep(0.02)
    raise AssertionError(f"{user_id}'s stream has fewer than {want} messages")


async def test_a_hold_created_extended_and_released_shows_on_the_buyers_channel(
    sale: Sale, resources: Resources, settings: Settings
) -> None:
    # A warning window longer than the hold: extending is allowed at once.
    wide = settings.model_copy(update={"inventory_extend_warning_s": 7_200.0})
    async with (
        uvicorn_on_loopback(create_app(wide), lifespan="on") as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=15) as http,
    ):
        buyer = sale.buyer("usr_ana")
        made = await http.post(f"/events/{sale.event_id}/holds", json=ONE, headers=buyer)
        assert made.status_code == 201, made.text
        hold = made.json()
        url = f"/events/{sale.event_id}/holds/{hold['hold_id']}"
        extended = await http.post(f"{url}/extend", headers=buyer)
        assert extended.status_code == 200, extended.text
        assert (await http.delete(url, headers=buyer)).status_code == 204
        messages = await me(resources, "usr_ana", 3)
    assert [(kind, m["change"]) for kind, m in messages] == [
        ("hold", "created"), ("hold", "extended"), ("hold", "released"),
    ]  # fmt: skip
    created, ext, released = (m for _, m in messages)
    assert created["expires_at_ms"] == hold["expires_at_ms"]
    assert created["seats"] == ["A:r-1:s-1"]
    assert (ext["expires_at_ms"], ext["extended"]) == (extended.json()["expires_at_ms"], True)
    assert ext["expires_at_ms"] > created["expires_at_ms"]
    assert released == {"change": "released", "hold_id": hold["hold_id"],
                        "event_id": sale.event_id}  # fmt: skip


async def test_a_hold_the_sweep_expires_shows_as_expired(sale: Sale, resources: Resources) -> None:
    hold = await sale.hold(sale.buyer("usr_bia"), ONE)
    await sale.hold(sale.buyer("usr_caio"), {"kind": "seats", "seat_ids": ["A:r-1:s-2"]})
    await me(resources, "usr_bia", 1)
    later = int(time.time() * 1000) + 3_600_000  # an hour on: every hold is due
    report = await InventoryService(resources.db, resources.redis, clock=lambda: later).sweep()
    assert report.released == 2
    assert {(g.hold_id, g.buyer_id) for g in report.expired} >= {(hold["hold_id"], "usr_bia")}
    await holds_expired(resources.redis, report)
    [created, expired] = await me(resources, "usr_bia", 2)
    assert created[1]["change"] == "created"
    assert expired == ("hold", {"change": "expired", "hold_id": hold["hold_id"],
                                "event_id": sale.event_id})  # fmt: skip
    assert [m["change"] for _, m in await me(resources, "usr_caio", 2)] == ["created", "expired"]


async def test_tickets_issued_then_transferred_show_on_both_holders_channels(
    gate: Gate, resources: Resources
) -> None:
    [ticket] = await gate.tickets("usr_1", {"kind": "seats", "seat_ids": ["A:r-2:s-3"]})
    issued = [m for kind, m in await me(resources, "usr_1", 1) if kind == "tickets"]
    assert issued == [{"change": "issued", "order_id": ticket["order_id"],
                       "event_id": gate.sale.event_id, "ticket_ids": [ticket["id"]]}]  # fmt: skip
    receiver_id = await register(gate.sale.client, "bia@example.com.br")
    r = await offer(gate, gate.sale.buyer("usr_1"), ticket["id"], "bia@example.com.br")
    assert r.status_code == 201, r.text
    taken = await gate.sale.client.post(
        f"/ticket-transfers/{r.json()['id']}/accept", headers=gate.sale.buyer(receiver_id)
    )
    assert taken.status_code == 200, taken.text
    moved = {"ticket_id": ticket["id"], "event_id": gate.sale.event_id, "version": 2}
    [(kind, incoming)] = await me(resources, receiver_id, 1)
    assert (kind, incoming) == ("tickets", {**moved, "change": "transferred_in"})
    tail = (await me(resources, "usr_1", len(issued) + 2))[-1]
    assert tail == ("tickets", {**moved, "change": "transferred_out"})
