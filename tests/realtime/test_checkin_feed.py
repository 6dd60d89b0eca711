"""Live check-in stats on the organizer's channel: an admission at a gate shows on
`event:<id>:sales` (coalesced by the event's seat feed), for the organizer only."""

from __future__ import annotations

import httpx

from tests.checkin.conftest import Gate, gate, sale, worker
from tests.realtime.test_live import TIMEOUT, first, second_instance, sse_messages
from ticketsafe.infra.settings import Settings

__all__ = ["gate", "sale", "worker"]
ONE = {"kind": "seats", "seat_ids": ["A:r-2:s-1"]}


async def test_an_admission_shows_in_the_organizers_live_checkin_stats(
    gate: Gate, settings: Settings
) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    params = {"channel": f"event:{gate.sale.event_id}:sales"}
    async with (
        second_instance(settings) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
        http.stream("GET", "/live/stream", params=params, headers=gate.sale.organizer) as r,
    ):
        assert r.status_code == 200
        messages = sse_messages(r)
        await first(messages, lambda m: m["type"] == "snapshot")
        scanned = await gate.scan(ticket["live_code"], gate="North")
        assert scanned.status_code == 200, scanned.text
        stats = await first(
            messages, lambda m: m["type"] == "checkin" and m["data"]["admitted"] == 1
        )
        assert stats["data"]["per_gate"] == {"North": 1}
        assert sum(stats["data"]["per_slot"].values()) == 1
