"""The crowd's line in the fast lane is bounded: a request past `crowd_max_waiting`, or
one that waited more than `crowd_max_wait_s`, gets a cheap 503 with a random Retry-After
instead of being served after its browser gave up (a restart under a crowd used to
serve almost nobody, every answer arriving after its client's timeout)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import httpx

from ticketsafe.infra.crowd_gate import CrowdGate, CrowdOverloaded
from ticketsafe.infra.fastlane import FastLane, FastRequest, FastResponse, FastRoute


def _lane(release: asyncio.Event, served: list[str], **limits: Any) -> httpx.AsyncClient:
    async def crowd(request: FastRequest) -> FastResponse:
        served.append(request.params["n"])
        await release.wait()
        return FastResponse(200, b"{}")

    async def shop(request: FastRequest) -> FastResponse:
        served.append("shop")
        return FastResponse(200, b"{}")

    async def unmatched(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("every request here matches a fast route")

    routes = [FastRoute("POST", "/crowd/{n}", crowd, yields=True), FastRoute("GET", "/shop", shop)]
    lane = FastLane(unmatched, routes, yield_limit=1, **limits)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = SimpleNamespace()  # no dependency overrides installed
        await lane(scope, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lane")


def _assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_busy"
    assert 1 <= int(response.headers["retry-after"]) <= 5


async def test_a_full_line_refuses_at_once_and_the_shop_is_still_served() -> None:
    release = asyncio.Event()
    served: list[str] = []
    async with _lane(release, served, crowd_max_waiting=2, crowd_max_wait_s=60) as client:
        first = asyncio.create_task(client.post("/crowd/1", json={}))  # served, blocks
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(client.post(f"/crowd/{n}", json={})) for n in (2, 3)]
        await asyncio.sleep(0.05)
        refused = await asyncio.wait_for(client.post("/crowd/4", json={}), 1.0)  # not queued
        _assert_busy(refused)
        assert (await client.get("/shop")).status_code == 200
        release.set()
        assert [r.status_code for r in await asyncio.gather(first, *waiting)] == [200, 200, 200]
    assert served == ["1", "shop", "2", "3"]  # the refused one never reached its handler


async def test_a_request_that_waited_too_long_is_refused_at_its_turn() -> None:
    release = asyncio.Event()
    served: list[str] = []
    async with _lane(release, served, crowd_max_waiting=100, crowd_max_wait_s=0.2) as client:
        first = asyncio.create_task(client.post("/crowd/1", json={}))
        await asyncio.sleep(0.05)
        late = asyncio.create_task(client.post("/crowd/2", json={}))
        await asyncio.sleep(0.4)  # longer than its browser would wait, by the setting
        release.set()
        assert (await first).status_code == 200
        _assert_busy(await late)
        assert (await client.post("/crowd/3", json={})).status_code == 200  # line empty
    assert served == ["1", "3"]


async def test_retry_after_is_spread_over_whole_seconds() -> None:
    gate = CrowdGate(1, max_waiting=0, max_wait_s=1.0, retry_after_max_s=5)
    seen: set[str] = set()
    async with gate.turn():
        for _ in range(200):
            try:
                async with gate.turn():
                    raise AssertionError("the line is full")
            except CrowdOverloaded as exc:
                seen.add(exc.headers["Retry-After"])
    assert seen == {"1", "2", "3", "4", "5"}  # refused browsers do not return together
    assert gate.refused == 200
