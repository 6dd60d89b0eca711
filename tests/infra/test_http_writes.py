"""A response's head and body leave in one write; a head alone still leaves at once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from starlette.types import Receive, Scope, Send

from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.infra.http_writes import CoalescingHttpToolsProtocol, CoalescingTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recording:
    """The connection's transport, as far as the wrapper sees it: what was sent, in order."""

    def __init__(self) -> None:
        self.sends: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sends.append(bytes(data))

    def writelines(self, parts: tuple[bytes, ...]) -> None:
        self.sends.append(b"".join(parts))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"extra:{name}"


def wrap() -> tuple[CoalescingTransport, Recording]:
    inner = Recording()
    return CoalescingTransport(inner, asyncio.get_running_loop()), inner  # type: ignore[arg-type]


async def test_head_and_body_of_one_turn_are_one_send() -> None:
    transport, inner = wrap()
    transport.write(HEAD)
    transport.write(b"{}")
    assert inner.sends == [HEAD + b"{}"]
    await asyncio.sleep(0)  # the kept head's own flush finds nothing left
    assert inner.sends == [HEAD + b"{}"]


async def test_a_head_alone_leaves_at_the_next_iteration() -> None:
    transport, inner = wrap()
    transport.write(HEAD)
    assert inner.sends == []
    await asyncio.sleep(0)
    assert inner.sends == [HEAD]
    transport.write(b"{}")
    assert inner.sends == [HEAD, b"{}"]


async def test_other_writes_pass_at_once_and_close_sends_what_is_kept() -> None:
    transport, inner = wrap()
    transport.write(b"data: 1\n\n")  # not a head (an SSE chunk, a WebSocket frame)
    assert inner.sends == [b"data: 1\n\n"]
    transport.write(HEAD)
    transport.close()
    assert inner.sends == [b"data: 1\n\n", HEAD]
    assert inner.closed
    assert transport.get_extra_info("peername") == "extra:peername"


async def _streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.5)  # the first chunk is not ready yet
        await send({"type": "http.response.body", "body": b"late", "more_body": False})
        return
    body = scope["path"].encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serving() -> contextlib.AbstractAsyncContextManager[int]:
    return uvicorn_on_loopback(_streaming_app, http=CoalescingHttpToolsProtocol)


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next(v for k, v in _headers(head) if k == b"content-length"))
    return head, await reader.readexactly(length)


def _headers(head: bytes) -> list[tuple[bytes, Any]]:
    lines = head.split(b"\r\n")[1:]
    return [(k.strip().lower(), v.strip()) for k, _, v in (x.partition(b":") for x in lines if x)]


async def test_real_server_keeps_alive_and_streams() -> None:
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for path in (b"/first", b"/second"):  # one connection, answered in turn
                writer.write(b"GET " + path + b" HTTP/1.1\r\nhost: t\r\n\r\n")
                head, body = await _answer(reader)
                assert head.startswith(b"HTTP/1.1 200 ")
                assert body == path
            # A streaming answer's head is not held back until its first chunk.
            writer.write(b"GET /slow HTTP/1.1\r\nhost: t\r\n\r\n")
            started = time.monotonic()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 0.4)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert time.monotonic() - started < 0.4
            assert b"transfer-encoding: chunked" in head
            assert await reader.readuntil(b"0\r\n\r\n") == b"4\r\nlate\r\n0\r\n\r\n"
        finally:
            writer.close()
            await writer.wait_closed()
