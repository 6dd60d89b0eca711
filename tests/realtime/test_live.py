"""The live layer end to end: two API instances on real sockets, SSE and WebSocket,
stream tickets, refused subscriptions, resume with Last-Event-ID, slow clients."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import websockets
from fastapi import FastAPI

from tests.orders.conftest import bearer, open_sale
from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.app import create_app
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.live_publish import publish_to_user, seats_channel
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.realtime.connection import Ended, Limits, Outbox
from ticketsafe.realtime.feeds import CROWDED, SeatFeeds, _EventFeed
from ticketsafe.realtime.messages import LiveMessage
from ticketsafe.realtime.session import LiveContext

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
    # An event with no inventory is a problem answer, not a stream broken after its head.
    channels = {"channel": [f"event:{sale.event_id}", "event:evt_nosuch"]}
    missing = await client.get("/live/stream", params=channels, headers=buyer)
    assert (missing.status_code, missing.json()["code"]) == (404, "event_not_provisioned")
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


async def test_a_slow_client_is_cut_off_while_a_fast_one_keeps_its_rate(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    sale = await open_sale(app, client, resources)
    # 240 frames of ~32 KB at 40 frames/s: 7.7 MB, more than the kernel's send buffer
    # (4 MB at most) holds for a client that does not read
    frames, every_s = 240, 0.025
    async with second_instance(settings) as (other, url):
        live: LiveContext = other.state.services.live
        live.connections.limits = Limits(max_lag_s=1.0)
        port = int(url.rsplit(":", 1)[1])
        slow, slow_writer = await _slow_sse_client(port, sale.event_id, sale.buyer("usr_slow"))
        try:
            params = {"channel": f"event:{sale.event_id}"}
            fast = sale.buyer("usr_fast")
            async with (
                httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as http,
                http.stream("GET", "/live/stream", params=params, headers=fast) as r,
            ):
                messages = sse_messages(r)
                await first(messages, lambda m: m["type"] == "snapshot")
                assert len(live.connections.open) == 2
                publisher = asyncio.create_task(_flood(resources, sale.event_id, frames, every_s))
                seen = [await first(messages, _flood_frame) for _ in range(frames)]
                last_seen = asyncio.get_running_loop().time()
                last_published = await publisher
                assert len(live.connections.open) == 1  # the slow one was cut, not waited for
            assert [m["data"]["seats"][_flood_key(m)] for m in seen] == list(range(frames))
            assert last_seen - last_published < 2.0  # it kept pace with the publisher
            received = await asyncio.wait_for(slow.read(), TIMEOUT)  # what it had, then EOF
            assert b'"flood-%d-0"' % (frames - 1) not in received
        finally:
            slow_writer.close()


async def _slow_sse_client(
    port: int, event_id: str, headers: dict[str, str]
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client that connects, then stops reading: a small receive buffer, and its reader
    pauses the socket once 8 KB wait, so the server's writes stall soon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"GET /live/stream?channel=event:{event_id} HTTP/1.1\r\nhost: t\r\n{head}\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    await reader.readuntil(b"event: snapshot")
    return reader, writer


async def _flood(resources: Resources, event_id: str, frames: int, every_s: float) -> float:
    """Seat-map frames as an instance leading the event's feed publishes them; returns
    when the last one was published."""
    for n in range(frames):
        seats = {f"flood-{n}-{i}": n for i in range(1600)}
        frame = {"event_id": event_id, "seq": 10_000 + n, "full": False, "seats": seats, "ga": {}}
        await resources.redis.publish(seats_channel(event_id), orjson.dumps(frame))
        await asyncio.sleep(every_s)
    return asyncio.get_running_loop().time() - every_s


def _flood_key(message: dict[str, Any]) -> str:
    return str(next(k for k in message["data"]["seats"] if k.startswith("flood-")))


def _flood_frame(message: dict[str, Any]) -> bool:
    return message["type"] == "delta" and any(
        k.startswith("flood-") for k in message["data"]["seats"]
    )


async def test_a_backlog_of_seat_frames_becomes_one_snapshot() -> None:
    outbox = Outbox("sse", Limits(snapshot_after=4), lifetime_s=60)
    snapshot = LiveMessage("event:evt_1", "snapshot", {"seats": {}}, "99")
    me = LiveMessage("me", "order", {"n": 1}, "1-0")
    outbox.offer(me)
    for n in range(10):
        frame = LiveMessage("event:evt_1", "delta", {"seats": {f"s{n}": "held"}}, str(n))
        outbox.offer(frame, lambda: snapshot)
    written: list[LiveMessage] = []

    async def write(message: LiveMessage) -> None:
        written.append(message)
        if len(written) == 2:
            outbox.end(Ended.GONE)

    assert await outbox.pump(write) is Ended.GONE
    assert written[:2] == [me, snapshot]  # the backlog replaced, other channels kept


async def test_an_idle_connection_is_written_by_the_offer_and_a_stalled_write_finishes() -> None:
    outbox = Outbox("sse", Limits(), lifetime_s=60)
    written: list[LiveMessage] = []
    paused = asyncio.Event()
    paused.set()

    async def write(message: LiveMessage) -> None:
        await paused.wait()  # a transport that is paused makes the write wait
        written.append(message)

    pump = asyncio.create_task(outbox.pump(write))
    await asyncio.sleep(0)  # the writer waits for frames
    first_frame, second, third = (LiveMessage("me", "order", {"n": n}, f"{n}-0") for n in range(3))
    outbox.offer(first_frame)
    assert written == [first_frame]  # written by the offer, before any task ran
    paused.clear()
    outbox.offer(second)  # cannot finish now: handed to the writer
    outbox.offer(third)  # queued behind it
    assert written == [first_frame]
    paused.set()
    await asyncio.wait_for(_until(lambda: len(written) == 3), TIMEOUT)
    assert written == [first_frame, second, third]  # in order
    outbox.end(Ended.GONE)
    assert await pump is Ended.GONE


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_frames_of_a_crowded_event_are_spaced_out(resources: Resources) -> None:
    async def read(event_id: str) -> tuple[dict[str, str], dict[str, int]]:
        return {}, {}

    feeds = SeatFeeds(resources.redis, read, interval_s=0.5)
    feed = _EventFeed("evt_1")
    feed.watchers = {Outbox("sse", Limits(), lifetime_s=60) for _ in range(CROWDED)}
    assert feeds.spacing(feed) == 0.5
    feed.sales_watchers.add(Outbox("sse", Limits(), lifetime_s=60))
    assert feeds.spacing(feed) == 1.0
