"""The transport under our outbound httpx client: HTTP/1.1 over keep-alive connections.

Outbound calls are webhooks: the sandbox PSP's deliveries to our own webhook URL (one per
card payment during an on-sale) and organizers' subscriptions. httpcore's pool spent
most of the worker's CPU on them: every request scans every pooled connection, several
times, and one of its checks is quadratic in the pool's size (about 2 ms of CPU per
webhook at 32 connections, more than the API spent answering it). This transport keeps
httpx's client API (timeouts, typed errors, the transports tests inject) and does only
what a webhook needs: one request at a time per connection, idle connections reused per
origin (most recently used first), TLS with the caller's context, bodies framed by
Content-Length, chunked coding or close (`infra.http1`). No HTTP/2, no proxies.

A reused connection that the server had already closed (keep-alive timeout, restart)
fails before a single byte of answer; that request is sent once more on a new
connection. Anything else fails with httpx's own exception types.
"""

from __future__ import annotations

import asyncio
import collections
import ssl

import httpx

from ticketsafe.infra.http1 import MAX_HEAD_BYTES, read_response

_Origin = tuple[str, str, int]


class _Stale(Exception):
    """A reused connection turned out closed before it answered anything."""


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        self.writer.close()


class OutboundTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, ssl_context: ssl.SSLContext, max_idle_per_origin: int = 32) -> None:
        self._ssl = ssl_context
        self._max_idle = max_idle_per_origin
        self._idle: dict[_Origin, collections.deque[_Connection]] = {}
        self.connections_opened = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}", request=request)
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        data = _serialize(request, await request.aread())
        conn = self._take_idle(origin)
        if conn is not None:
            try:
                return await self._exchange(origin, conn, request, data, timeouts, reused=True)
            except _Stale:
                pass  # closed by the server while idle: once more, on a new connection
        conn = await self._open(origin, request, timeouts.get("connect"))
        try:
            return await self._exchange(origin, conn, request, data, timeouts, reused=False)
        except _Stale as exc:
            raise httpx.RemoteProtocolError(
                "server closed the connection without an answer", request=request
            ) from exc

    async def aclose(self) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        self._idle.clear()

    def _take_idle(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to have timed out
            if conn.usable():
                return conn
            conn.close()
        return None

    async def _open(
        self, origin: _Origin, request: httpx.Request, connect_s: float | None
    ) -> _Connection:
        scheme, host, port = origin
        tls = self._ssl if scheme == "https" else None
        try:
            async with asyncio.timeout(connect_s):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None,
                    limit=MAX_HEAD_BYTES,
                )  # fmt: skip
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(
                f"connect to {host}:{port} timed out", request=request
            ) from exc
        except OSError as exc:  # refused, unreachable, TLS handshake (ssl.SSLError)
            raise httpx.ConnectError(
                f"cannot connect to {host}:{port}: {exc}", request=request
            ) from exc
        self.connections_opened += 1
        return _Connection(reader, writer)

    async def _exchange(
        self,
        origin: _Origin,
        conn: _Connection,
        request: httpx.Request,
        data: bytes,
        timeouts: dict[str, float | None],
        *,
        reused: bool,
    ) -> httpx.Response:
        keep = False
        try:
            try:
                conn.writer.write(data)
                async with asyncio.timeout(timeouts.get("write")):
                    await conn.writer.drain()
            except TimeoutError as exc:
                raise httpx.WriteTimeout("request not sent in time", request=request) from exc
            except OSError as exc:
                if reused:
                    raise _Stale from exc
                raise httpx.WriteError(
                    f"sending the request failed: {exc}", request=request
                ) from exc
            try:
                async with asyncio.timeout(timeouts.get("read")):
                    raw = await read_response(conn.reader, request.method)
            except TimeoutError as exc:
                raise httpx.ReadTimeout("no complete answer in time", request=request) from exc
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial and conn.reader.at_eof():
                    raise _Stale from exc
                raise httpx.RemoteProtocolError(
                    "server closed the connection before a complete answer", request=request
                ) from exc
            except (asyncio.LimitOverrunError, ValueError) as exc:
                raise httpx.RemoteProtocolError(
                    f"malformed answer: {exc}", request=request
                ) from exc
            except OSError as exc:
                if reused and conn.reader.at_eof():
                    raise _Stale from exc
                raise httpx.ReadError(f"reading the answer failed: {exc}", request=request) from exc
            keep = raw.keep_alive
        finally:
            if keep:
                self._release(origin, conn)
            else:
                conn.close()
        return httpx.Response(
            raw.status,
            headers=raw.headers,
            stream=httpx.ByteStream(raw.body),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    def _release(self, origin: _Origin, conn: _Connection) -> None:
        idle = self._idle.setdefault(origin, collections.deque())
        if len(idle) >= self._max_idle:
            conn.close()
        else:
            idle.append(conn)


def _serialize(request: httpx.Request, body: bytes) -> bytes:
    """Request line, the headers httpx built (Host, Content-Length, ...), the body. A
    streamed body was read whole, so it goes with a Content-Length, not chunked."""
    parts = [b"%s %s HTTP/1.1\r\n" % (request.method.encode(), request.url.raw_path)]
    headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"transfer-encoding"]
    if body and not any(k.lower() == b"content-length" for k, _ in headers):
        headers.append((b"Content-Length", b"%d" % len(body)))
    parts.extend(b"%s: %s\r\n" % (name, value) for name, value in headers)
    parts.append(b"\r\n")
    parts.append(body)
    return b"".join(parts)
