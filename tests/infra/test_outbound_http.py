"""`OutboundTransport` under httpx, against a real HTTP/1.1 server on loopback whose
answers each test scripts (framing, keep-alive, closing, stalling)."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from ticketsafe.infra.outbound_http import OutboundTransport

Answer = Callable[[int, bytes], bytes | None]  # (request number, body) -> raw answer


@dataclass
class Scripted:
    """Reads each request whole and writes what `answer` returns; None closes the
    connection without a word. Closes after an answer without length or chunks (its
    end), and after every answer with `close_after`."""

    answer: Answer
    close_after: bool = False
    stall_s: float = 0.0
    requests: list[tuple[bytes, dict[str, str], bytes]] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head[:-4].split(b"\r\n")
                headers = {
                    k.strip().lower().decode(): v.strip().decode()
                    for k, _, v in (line.partition(b":") for line in lines[1:])
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((lines[0], headers, body))
                if self.stall_s:
                    await asyncio.sleep(self.stall_s)
                raw = self.answer(len(self.requests), body)
                if raw is None:
                    return
                writer.write(raw)
                await writer.drain()
                framed = b"content-length" in raw.lower() or b"chunked" in raw.lower()
                if self.close_after or not framed:  # unframed: the close ends the body
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


Serve = Callable[..., Awaitable[Scripted]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer, **kw: Any) -> Scripted:
        scripted = Scripted(answer, **kw)
        server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
        servers.append(server)
        scripted.port = server.sockets[0].getsockname()[1]
        return scripted

    yield start
    for server in servers:
        server.close()


def _ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)
    )


def _client(**kw: float) -> httpx.AsyncClient:
    transport = OutboundTransport(ssl_context=ssl.create_default_context())
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(kw.get("timeout", 5.0)))


def _opened(client: httpx.AsyncClient) -> int:
    transport = client._transport
    assert isinstance(transport, OutboundTransport)
    return transport.connections_opened


async def test_posts_reuse_one_keep_alive_connection(serve: Serve) -> None:
    server = await serve(lambda n, body: _ok(orjson.dumps({"n": n, "echo": body.decode()})))
    async with _client() as client:
        for n in (1, 2, 3):
            response = await client.post(
                f"http://127.0.0.1:{server.port}/hooks?x=1",
                content=b'{"a":1}',
                headers={"content-type": "application/json", "x-signature": "s1"},
            )
            assert response.status_code == 200
            assert response.json() == {"n": n, "echo": '{"a":1}'}
        assert _opened(client) == 1
    assert server.connections == 1
    line, headers, body = server.requests[0]
    assert line == b"POST /hooks?x=1 HTTP/1.1"
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert headers["x-signature"] == "s1"
    assert headers["content-length"] == "7"
    assert body == b'{"a":1}'


async def test_chunked_gzip_and_close_delimited_answers(serve: Serve) -> None:
    packed = gzip.compress(b'{"packed":true}')
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        + b"%x\r\n%s\r\n" % (5, packed[:5])
        + b"%x;ext=1\r\n%s\r\n" % (len(packed) - 5, packed[5:])
        + b"0\r\nX-Trailer: t\r\n\r\n"
    )
    delimited = b"HTTP/1.1 202 Accepted\r\n\r\nuntil the end"
    server = await serve(lambda n, _: chunked if n == 1 else delimited)
    async with _client() as client:
        first = await client.get(f"http://127.0.0.1:{server.port}/a")
        assert first.json() == {"packed": True}
        second = await client.get(f"http://127.0.0.1:{server.port}/b")
        assert (second.status_code, second.text) == (202, "until the end")
        third = await client.get(f"http://127.0.0.1:{server.port}/b")
        assert third.status_code == 202
        assert _opened(client) == 2  # chunked kept the connection; close-delimited did not


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    serve: Serve,
) -> None:
    server = await serve(lambda n, _: _ok(b'{"n":%d}' % n), close_after=True)
    async with _client() as client:
        url = f"http://127.0.0.1:{server.port}/"
        assert (await client.post(url, content=b"1")).json() == {"n": 1}
        await asyncio.sleep(0.05)  # the server's close reaches us while the connection idles
        assert (await client.post(url, content=b"2")).json() == {"n": 2}
        assert _opened(client) == 2
    assert [r[2] for r in server.requests] == [b"1", b"2"]  # each sent once


async def test_a_reused_connection_closed_before_answering_is_retried_once(
    serve: Serve,
) -> None:
    """The race the idle check cannot see: the server hangs up as the request arrives."""
    server = await serve(lambda n, _: None if n == 2 else _ok(b'{"n":%d}' % n))
    async with _client() as client:
        url = f"http://127.0.0.1:{server.port}/"
        assert (await client.post(url, content=b"1")).json() == {"n": 1}
        assert (await client.post(url, content=b"2")).json() == {"n": 3}
        assert _opened(client) == 2
    assert [r[2] for r in server.requests] == [b"1", b"2", b"2"]  # at least once


async def test_failures_are_httpx_errors(serve: Serve) -> None:
    mute = await serve(lambda n, _: None)  # reads the request, then hangs up without a word
    async with _client(timeout=0.3) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(f"http://127.0.0.1:{mute.port}/", content=b"x")
        assert len(mute.requests) == 1  # a new connection that fails is not retried
    slow = await serve(lambda n, _: _ok(), stall_s=1.0)
    async with _client(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{slow.port}/")
    garbled = await serve(lambda n, _: b"SMTP/2 nonsense\r\n\r\n")
    async with _client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://127.0.0.1:{garbled.port}/")


async def test_refused_and_unsupported() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with _client() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://127.0.0.1/")
