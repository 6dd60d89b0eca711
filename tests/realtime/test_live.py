"""The live layer end to end: two API instances on real sockets, SSE and WebSocket,
stream tickets, refused subscriptions, resume with Last-Event-ID, slow clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from tests.orders.conftest import bearer, open_sale
from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.app import create_app
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.realtime.feeds import Subscriber
from ticketsafe.realtime.messages import LiveMessage
from ticketsafe.realtime.publish import publish_to_user

TIMEOUT = 15.0


@asynccontextmanager
async def second_instance(settings: Settings) -> AsyncIterator[tuple[FastAPI, str]]:
    """Another API process's worth: its own app, hub and feeds, on its own port."""
    app = create_app(settings)
    async with uvicorn_on_loopback(app, lifespan="on") as port:
        yield app, f"http://127.0.0.1:{port}"


async def sse_messages(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            yield json.loads(line[len("data: ") :])


async def first(messages: AsyncIterator[dict[str, Any]], want: Any) -> dict[str, Any]:
    async def scan() -> dict[str, Any]:
        async for message in messages:
            if want(message):
                return message
        raise AssertionError("stream ended")

    return await asyncio.wait_for(scan(), TIMEOUT)


def seat_is(seat: str, status: str) -> Any:
    return lambda m: m["type"] in ("delta", "snapshot") and m["data"]["seats"].get(seat) == status


async def test_a_hold_through_one_instance_reaches_sse_and_websocket_clients_of_another(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    sale = await open_sale(app, client, resources)
    channel = f"event:{sale.event_id}"
    async with second_instance(settings) as (_, url):
        buyer = sale.buyer("usr_watch")
        async with (
            httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
            http.stream("GET", "/live/stream", params={"channel": channel}, headers=buyer) as sse,
        ):
            assert sse.status_code == 200
            messages = sse_messages(sse)
            snapshot = await first(messages, lambda m: m["type"] == "snapshot")
            assert snapshot["data"]["seats"]["A:r-1:s-1"] == "available"
            ticket = (await http.post("/live/tickets", headers=buyer)).json()["ticket"]
            ws_url = url.replace("http", "ws") + f"/live/ws?channel={channel}&ticket={ticket}"
            async with websockets.connect(ws_url) as ws:
                first_frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                assert first_frame["type"] == "snapshot"
                await sale.hold(sale.buyer("usr_1"), {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
                await first(messages, seat_is("A:r-1:s-1", "held"))

                async def ws_messages() -> AsyncIterator[dict[str, Any]]:
                    while True:
                        yield json.loads(await ws.recv())

                await first(ws_messages(), seat_is("A:r-1:s-1", "held"))


async def test_a_stream_ticket_opens_one_stream_once(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    sale = await open_sale(app, client, resources)
    ticket = (await client.post("/live/tickets", headers=sale.buyer("usr_1"))).json()["ticket"]
    params = {"channel": f"event:{sale.event_id}", "ticket": ticket}
    async with (
        second_instance(settings) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
    ):
        async with http.stream("GET", "/live/stream", params=params) as sse:
            assert sse.status_code == 200
            await first(sse_messages(sse), lambda m: m["type"] == "snapshot")
        again = await http.get("/live/stream", params=params)
        assert (again.status_code, again.json()["code"]) == (401, "invalid_stream_ticket")
        anonymous = await http.get("/live/stream", params={"channel": "me"})
        assert anonymous.status_code == 401


async def test_what_one_may_not_read_is_refused_with_a_typed_error(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    sale = await open_sale(app, client, resources)
    buyer = sale.buyer("usr_1")
    sales = {"channel": f"event:{sale.event_id}:sales"}
    refused = await client.get("/live/stream", params=sales, headers=buyer)
    assert (refused.status_code, refused.json()["code"]) == (403, "subscription_refused")
    unknown = await client.get("/live/stream", params={"channel": "users:all"}, headers=buyer)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "validation_failed")
    async with (
        second_instance(settings) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
        http.stream("GET", "/live/stream", params=sales, headers=sale.organizer) as ok,
    ):
        assert ok.status_code == 200
        tally = await first(sse_messages(ok), lambda m: m["type"] == "snapshot")
        assert tally["data"]["available"] == 10


async def test_a_websocket_subscription_refused_gets_an_error_then_a_close(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    sale = await open_sale(app, client, resources)
    async with second_instance(settings) as (other, url):
        token = bearer(other, Principal("usr_1"))
        ws_url = url.replace("http", "ws") + f"/live/ws?channel=event:{sale.event_id}:sales"
        async with websockets.connect(ws_url, additional_headers=token) as ws:
            error = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert error["type"] == "error"
            assert error["data"]["code"] == "subscription_refused"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403


async def test_reconnecting_with_last_event_id_replays_what_was_missed(
    app: FastAPI, resources: Resources, settings: Settings
) -> None:
    async with second_instance(settings) as (other, url):
        await _replay(bearer(other, Principal("usr_1")), resources, url)


async def _replay(headers: dict[str, str], resources: Resources, url: str) -> None:
    for n in range(3):
        await publish_to_user(resources.redis, "usr_1", "order", {"n": n})
    entries: Any = await resources.redis.xrange("ts:live:user:usr_1")
    first_id = entries[0][0].decode()
    resume = {**headers, "Last-Event-ID": f"me/{first_id}"}
    me = {"channel": "me"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
        http.stream("GET", "/live/stream", params=me, headers=resume) as r,
    ):
        messages = sse_messages(r)
        got = [await first(messages, lambda m: m["type"] == "order") for _ in range(2)]
    assert [m["data"]["n"] for m in got] == [1, 2]
    async with (
        httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
        http.stream("GET", "/live/stream", params=me, headers=headers) as r,
    ):
        messages = sse_messages(r)
        await asyncio.sleep(0.3)  # connected: only what comes from now on
        await publish_to_user(resources.redis, "usr_1", "order", {"n": 3})
        live = await first(messages, lambda m: m["type"] == "order")
        assert live["data"]["n"] == 3


def test_a_slow_subscriber_is_dropped_to_a_snapshot_while_a_fast_one_gets_every_frame() -> None:
    fast, slow = Subscriber(), Subscriber()
    received = []
    for n in range(500):
        frame = LiveMessage("event:evt_1", "delta", {"seats": {f"s{n}": "held"}}, str(n))
        fast.offer(frame)
        slow.offer(frame)
        received.append(fast.queue.get_nowait())  # the fast client keeps up
    assert len(received) == 500
    assert slow.lagging  # its buffer overflowed: dropped, it will get one snapshot instead
    assert slow.queue.empty()
