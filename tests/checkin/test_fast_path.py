"""The scan's fast path (the fast lane, cached grants and keys, the admissions journal):
as strict as the slow one. Simultaneous scans of one ticket admit exactly one, and what
the caches hold never outlives a change: a refund, a revoked steward."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.checkin.conftest import STEWARD, Gate
from tests.orders.conftest import run_jobs
from ticketsafe.checkin.endpoints import FAST_ROUTES
from ticketsafe.infra.errors import TicketSafeError
from ticketsafe.infra.fastlane import FastRequest, FastResponse

ONE = {"kind": "seats", "seat_ids": ["A:r-2:s-1"]}
GA = {"kind": "ga", "area_id": "pista", "quantity": 4}


@pytest.fixture
def fast_scans() -> Iterator[list[int]]:
    """Counts the scans the fast lane answered itself (it declines what it cannot)."""
    route = next(r for r in FAST_ROUTES if r.path.endswith("/checkin/scans"))
    handler, answered = route.handler, []

    async def counted(request: FastRequest) -> FastResponse | None:
        try:
            answer = await handler(request)
        except TicketSafeError as refusal:  # the lane renders it: answered there too
            answered.append(refusal.status)
            raise
        if answer is not None:
            answered.append(answer.status)
        return answer

    route.handler = counted
    try:
        yield answered
    finally:
        route.handler = handler


def code(r: httpx.Response) -> str:
    return str(r.json()["code"])


async def test_simultaneous_scans_of_one_ticket_admit_exactly_one(
    gate: Gate, fast_scans: list[int]
) -> None:
    tickets = await gate.tickets("usr_1", GA)
    answers = await asyncio.gather(*[
        gate.scan(t["live_code"], gate=f"G{k}", device=f"dev-{k}")
        for t in tickets for k in range(3)
    ])  # fmt: skip
    for i, t in enumerate(tickets):
        mine = answers[3 * i : 3 * i + 3]
        assert sorted(r.status_code for r in mine) == [200, 409, 409], [r.text for r in mine]
        winner = next(r for r in mine if r.status_code == 200)
        for loser in (r for r in mine if r.status_code == 409):
            assert code(loser) == "already_used"
            assert loser.json()["used_gate"] == winner.json()["gate"]
        assert winner.json()["ticket_id"] == t["id"]
    assert len(fast_scans) == len(answers)  # every one went the fast way


async def test_a_ticket_refunded_after_the_caches_filled_is_refused(
    gate: Gate, fast_scans: list[int]
) -> None:
    [first] = await gate.tickets("usr_1", ONE)
    [second] = await gate.tickets("usr_2", {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    assert (await gate.scan(first["live_code"])).status_code == 200  # grants, keys cached
    url = f"/orgs/org_a/orders/{second['order_id']}/refund"
    r = await gate.sale.client.post(url, json={"reason": "x"}, headers=gate.sale.organizer)
    assert r.status_code == 200, r.text
    await run_jobs(gate.worker)
    refused = await gate.scan(second["live_code"], device="dev-2")
    assert (refused.status_code, code(refused)) == (410, "revoked")
    again = await gate.scan(second["live_code"], device="dev-3")  # and stays refused
    assert (again.status_code, code(again)) == (410, "revoked")
    assert fast_scans == [200, 410, 410]


async def test_a_revoked_steward_stops_at_the_next_scan(gate: Gate, fast_scans: list[int]) -> None:
    first, second, *_ = await gate.tickets("usr_1", GA)
    assert (await gate.scan(first["live_code"])).status_code == 200  # the grant is cached
    r = await gate.sale.client.delete(
        f"/organizations/org_a/gate-staff/{gate.sale.event_id}/{STEWARD}",
        headers=gate.sale.organizer,
    )
    assert r.status_code == 204, r.text
    refused = await gate.scan(second["live_code"])
    assert (refused.status_code, code(refused)) == (403, "not_gate_staff")
    assert fast_scans == [200, 403]
