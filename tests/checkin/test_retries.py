"""A scan retried by its device (its answer was lost) is answered as its first try was:
admitted, with the first try's gate and time, never "already used" by itself; any other
scan of the same code is still refused, and so is a retry after a refund."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest

from tests.checkin.conftest import Gate
from tests.checkin.test_fast_path import fast_scans
from tests.orders.conftest import run_jobs
from ticketsafe.checkin import service

__all__ = ["fast_scans"]
ONE = {"kind": "seats", "seat_ids": ["A:r-2:s-1"]}


async def scan(
    gate: Gate, code: str, key: str, device: str = "dev-1", at_gate: str = "North"
) -> httpx.Response:
    return await gate.sale.client.post(
        f"/events/{gate.sale.event_id}/checkin/scans",
        json={"code": code, "gate": at_gate, "device_id": device},
        headers={**gate.steward, "Idempotency-Key": key},
    )


def refusal(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, str(r.json()["code"])


async def admitted(gate: Gate) -> int:
    url = f"/orgs/org_a/events/{gate.sale.event_id}/checkin/stats"
    r = await gate.sale.client.get(url, headers=gate.sale.organizer)
    assert r.status_code == 200, r.text
    return int(r.json()["admitted"])


async def test_a_retry_after_a_lost_answer_is_admitted_again(
    gate: Gate, fast_scans: list[int]
) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    first = await scan(gate, ticket["live_code"], "scan-1")
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    again = await scan(gate, ticket["live_code"], "scan-1", at_gate="South")
    assert again.status_code == 200, again.text
    assert again.content == first.content  # the first try's gate and time, to the byte
    assert again.headers["idempotent-replayed"] == "true"
    # Another scan of the code: another key on the device, or the key on another device.
    for key, device in (("scan-2", "dev-1"), ("scan-1", "dev-2")):
        r = await scan(gate, ticket["live_code"], key, device)
        assert refusal(r) == (409, "already_used")
        assert r.json()["used_gate"] == "North"
    assert fast_scans == [200, 200, 409, 409]  # all on the fast lane, none kept in Redis
    assert await admitted(gate) == 1


async def test_tries_of_one_scan_at_the_same_time_all_get_its_admission(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    tries = await asyncio.gather(*[scan(gate, ticket["live_code"], "scan-1") for _ in range(4)])
    assert [r.status_code for r in tries] == [200] * 4, [r.text for r in tries]
    assert len({(r.json()["gate"], r.json()["at"]) for r in tries}) == 1
    assert await admitted(gate) == 1
    other = await scan(gate, ticket["live_code"], "scan-1", device="dev-2")
    assert refusal(other) == (409, "already_used")


async def test_a_retry_after_the_code_expired_still_gets_its_admission(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    first = await scan(gate, ticket["live_code"], "scan-1")
    assert first.status_code == 200, first.text
    now_ms = service._now_ms

    def two_minutes_later() -> datetime:  # the device was offline for a while
        return now_ms() + timedelta(minutes=2)

    monkeypatch.setattr(service, "_now_ms", two_minutes_later)
    again = await scan(gate, ticket["live_code"], "scan-1")
    assert (again.status_code, again.content) == (200, first.content)
    other = await scan(gate, ticket["live_code"], "scan-2")
    assert refusal(other) == (409, "already_used")


async def test_a_retry_after_a_refund_is_refused(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    assert (await scan(gate, ticket["live_code"], "scan-1")).status_code == 200
    url = f"/orgs/org_a/orders/{ticket['order_id']}/refund"
    r = await gate.sale.client.post(url, json={"reason": "x"}, headers=gate.sale.organizer)
    assert r.status_code == 200, r.text
    await run_jobs(gate.worker)
    again = await scan(gate, ticket["live_code"], "scan-1")
    assert refusal(again) == (410, "revoked")


async def test_a_refused_scan_is_judged_again_when_retried(gate: Gate) -> None:
    first = await scan(gate, "junk", "scan-1")
    assert refusal(first) == (400, "not_ticketsafe_code")
    again = await scan(gate, "junk", "scan-1")
    assert refusal(again) == (400, "not_ticketsafe_code")
    assert "idempotent-replayed" not in again.headers
