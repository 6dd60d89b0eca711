"""The access log: one JSON line per request (fast lane included), no colour codes."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import orjson
from fastapi import FastAPI

from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.app import create_app
from ticketsafe.infra.logs import JsonFormatter
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


@contextmanager
def json_lines(logger: str) -> Iterator[list[dict[str, object]]]:
    """Every line `logger` writes while the block runs, as the app's JSON formatter
    writes them (parsed once the block ends)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    target = logging.getLogger(logger)
    level = target.level
    target.setLevel(logging.INFO)  # setLevel, not `.level =`: it clears isEnabledFor's cache
    target.addHandler(handler)
    lines: list[dict[str, object]] = []
    try:
        yield lines
    finally:
        target.removeHandler(handler)
        target.setLevel(level)
        lines.extend(orjson.loads(line) for line in stream.getvalue().splitlines())


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_every_request_gets_one_line(client: httpx.AsyncClient) -> None:
    with json_lines("ticketsafe.access") as lines:
        replies = [await client.get("/healthz") for _ in range(30)]
    assert len(lines) == 30
    assert [line["request_id"] for line in lines] == [r.headers["x-request-id"] for r in replies]
    assert {line["route"] for line in lines} == {"/healthz"}


async def test_a_line_says_method_route_template_status_and_duration(
    client: httpx.AsyncClient,
) -> None:
    with json_lines("ticketsafe.access") as lines:
        reply = await client.get("/orders/ord_123", headers={"X-Request-ID": "req-abcdef12"})
    (line,) = lines
    assert reply.status_code == 401
    assert line["method"] == "GET"
    assert line["route"] == "/orders/{order_id}"  # the template: no ids in the log's keys
    assert line["status"] == 401
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "req-abcdef12"
    assert line["msg"] == "GET /orders/{order_id} 401"


async def test_fast_lane_requests_are_logged(client: httpx.AsyncClient, app: FastAPI) -> None:
    assert not app.dependency_overrides  # so the hold takes the fast lane
    with json_lines("ticketsafe.access") as lines:
        reply = await client.post(
            "/events/evt_1/holds", json={"kind": "ga", "area_id": "pista", "quantity": 1}
        )
    assert reply.status_code == 401
    (line,) = lines
    assert (line["method"], line["route"], line["status"]) == (
        "POST",
        "/events/{event_id}/holds",
        401,
    )


async def test_unknown_paths_are_logged_without_their_path(client: httpx.AsyncClient) -> None:
    with json_lines("ticketsafe.access") as lines:
        assert (await client.get("/no/such/usr_secret")).status_code == 404
    assert [(line["route"], line["status"]) for line in lines] == [("unmatched", 404)]


async def test_sampling_keeps_the_configured_fraction(
    settings: Settings, resources: Resources
) -> None:
    app = create_app(settings.model_copy(update={"access_log_sample_rate": 0.25}))
    with json_lines("ticketsafe.access") as lines:
        async with client_of(app) as client:
            for _ in range(400):
                await client.get("/healthz")
    assert 50 <= len(lines) <= 150  # 100 expected; a false alarm far below once in 1e6
    assert {line["sample_rate"] for line in lines} == {0.25}


async def test_no_sampling_no_lines_at_rate_zero(settings: Settings, resources: Resources) -> None:
    app = create_app(settings.model_copy(update={"access_log_sample_rate": 0.0}))
    with json_lines("ticketsafe.access") as lines:
        async with client_of(app) as client:
            for _ in range(20):
                await client.get("/healthz")
    assert lines == []


async def test_uvicorn_lines_carry_no_colour_codes() -> None:
    async def hello(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never called")

    with json_lines("uvicorn.error") as lines:
        async with uvicorn_on_loopback(hello, use_colors=True):
            pass
    assert any("Uvicorn running on" in str(line["msg"]) for line in lines)
    for line in lines:
        text = orjson.dumps(line).decode()
        assert "\\u001b" not in text
        assert "color_message" not in line
