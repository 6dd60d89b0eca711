"""Graceful drain of the api role's HTTP server (`roles.http` + `roles.drain`), on a real
uvicorn server over loopback: stop accepting, finish requests in flight, end event streams
with a reconnect hint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ticketsafe.infra.child_process import free_port, port_open
from ticketsafe.infra.settings import Settings
from ticketsafe.roles.drain import RECONNECT_FRAME
from ticketsafe.roles.http import build_servers, serve_all, stop_servers


async def _ticks() -> AsyncIterator[str]:
    while True:  # an endless stream, as the waiting room's is for up to 30 minutes
        yield "data: tick\n\n"
        await asyncio.sleep(0.05)


async def stream(_: Request) -> Response:
    return StreamingResponse(_ticks(), media_type="text/event-stream")


async def slow(_: Request) -> Response:
    await asyncio.sleep(1.0)
    return PlainTextResponse("finished")


async def stuck(_: Request) -> Response:
    await asyncio.sleep(3600)
    return PlainTextResponse("never")


async def _rest(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


APP = Starlette(routes=[Route("/stream", stream), Route("/slow", slow), Route("/stuck", stuck)])


def _settings(port: int, grace: int) -> Settings:
    return Settings(tls_enabled=False, host="127.0.0.1", http_port=port, shutdown_grace_s=grace)


async def test_stop_finishes_requests_in_flight_and_ends_streams_with_a_hint() -> None:
    port = free_port()
    servers = build_servers(_settings(port, grace=10), APP)
    serving = asyncio.create_task(serve_all(servers, reuse_port=False))
    while not servers[0].started:
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        async with client.stream("GET", "/stream") as events:
            chunks = events.aiter_bytes()
            assert b"data: tick" in await anext(chunks)
            in_flight = asyncio.create_task(client.get("/slow"))
            await asyncio.sleep(0.2)  # the slow request is being handled
            stop_servers(servers)
            # The stream ends (without the drain it never would): no hang, no error.
            body = await asyncio.wait_for(_rest(chunks), 5)
        assert body.endswith(RECONNECT_FRAME)
        finished = await in_flight
        assert (finished.status_code, finished.text) == (200, "finished")
    await asyncio.wait_for(serving, 5)  # every connection closed: the server is done
    assert not port_open("127.0.0.1", port)


async def test_a_request_past_the_grace_period_answers_503_and_the_server_stops() -> None:
    port = free_port()
    servers = build_servers(_settings(port, grace=1), APP)
    serving = asyncio.create_task(serve_all(servers, reuse_port=False))
    while not servers[0].started:
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        request = asyncio.create_task(client.get("/stuck"))
        await asyncio.sleep(0.2)
        stop_servers(servers)
        await asyncio.wait_for(serving, 5)
        cut = await request
    assert (cut.status_code, cut.headers["retry-after"]) == (503, "1")
    assert cut.json()["code"] == "service_busy"
