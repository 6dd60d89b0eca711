"""A small HTTP/1.1 keep-alive client for the load generator (raw asyncio streams).

httpx/httpcore spend far more CPU per request than the server under test, so at the
bench's concurrency the load generator measured itself (~120 req/s of /healthz against
a server that does thousands). This client does only what the bench needs: one host
on loopback, a pool of keep-alive connections opened on demand up to a limit, JSON
bodies (orjson), Content-Length and chunked responses, and typed errors so the buyers'
retry loop can tell "never reached the server / connection dropped" from an answer.
It speaks TLS too, for a run against a deployment given by its URL (`Endpoint`).
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from ticketsafe.infra.http1 import MAX_HEAD_BYTES, read_response


class HTTPError(Exception):
    """Anything this client raises."""


class TransportError(HTTPError):
    """The request never got an answer because the connection could not be used."""


class ConnectError(TransportError):
    """Could not open a connection (server down, restarting, refused)."""


class RemoteProtocolError(TransportError):
    """The server closed the connection before a complete answer, or sent garbage."""


class ReadError(TransportError):
    """The connection failed (reset, broken pipe) while writing or reading."""


class RequestTimeout(HTTPError):
    """No complete answer within the request timeout (the server may have acted on it)."""


class HTTPStatusError(HTTPError):
    def __init__(self, message: str, response: Response) -> None:
        super().__init__(message)
        self.response = response


class Headers(Mapping[str, str]):
    """Response headers; names are case-insensitive, repeated ones joined with ', '."""

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items  # lower-case names

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, name: str, default: Any = None) -> Any:
        return self._items.get(name.lower(), default)


class Response:
    __slots__ = ("content", "elapsed", "headers", "method", "path", "status_code")

    def __init__(
        self, status_code: int, headers: Headers, content: bytes, method: str, path: str
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.method = method
        self.path = path
        # Seconds from writing the request on a connection to reading the whole answer:
        # the server's latency as a browser sees it, without the wait for one of this
        # client's pooled connections (a crowd of browsers has no such pool).
        self.elapsed = 0.0

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return orjson.loads(self.content)

    def raise_for_status(self) -> Response:
        if self.status_code >= 400:
            try:
                reason = HTTPStatus(self.status_code).phrase
            except ValueError:
                reason = "Error"
            raise HTTPStatusError(
                f"{self.status_code} {reason} for {self.method} {self.path}", self
            )
        return self

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"


@dataclass(frozen=True)
class Endpoint:
    """Where the deployment under test answers: host, port and, for HTTPS, the TLS
    context (the server's certificate is verified, against `ca_file` if given)."""

    host: str
    port: int
    tls: ssl.SSLContext | None = None

    @classmethod
    def from_url(cls, url: str, *, ca_file: Path | None = None) -> Endpoint:
        """`http://host:port` or `https://host:port` (no path). ValueError otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s)://host:port URL: {url!r}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(f"the URL must name the deployment only, no path: {url!r}")
        if ca_file is not None and parts.scheme != "https":
            raise ValueError("a CA file is for an https:// URL")
        tls = None
        if parts.scheme == "https":
            tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        port = parts.port or (443 if tls else 80)
        return cls(parts.hostname, port, tls)

    @property
    def authority(self) -> str:
        """`host:port` as the Host header and URLs write it (an IPv6 host in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.authority}"

    def client(self, *, max_connections: int = 64, timeout: float = 30.0) -> Client:
        return Client(
            self.port, host=self.host, tls=self.tls, max_connections=max_connections,
            timeout=timeout,
        )  # fmt: skip


class _Connection:
    __slots__ = ("reader", "requests", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.requests = 0

    def usable(self) -> bool:
        """Idle and still open: the server has not closed it (keep-alive timeout, restart)."""
        return not (self.reader.at_eof() or self.writer.is_closing())

    def close(self) -> None:
        self.writer.close()


class _Slots:
    """Connection slots handed out by priority (lower first), in arrival order within a
    priority. The load generator stands for a crowd of independent browsers sharing a
    few connections: without priorities, a buyer already paying would wait behind
    thousands of other people's queue polls — a wait no real browser has."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    async def acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        granted = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()  # handed a slot just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():  # a cancelled waiter is skipped
                waiter.set_result(None)
                return
        self._free += 1


class Client:
    """Requests to one host:port (plain or TLS) over at most `max_connections` keep-alive
    connections; a request waits for a free connection when all are busy (by
    `priority`, lower first). The timeout runs from the moment the request is sent."""

    def __init__(
        self,
        port: int,
        *,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
        max_connections: int = 64,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.timeout = timeout
        self._slots = _Slots(max_connections)
        self._idle: collections.deque[_Connection] = collections.deque()
        self._host_header = f"Host: {Endpoint(host, port).authority}\r\n".encode()
        self.connections_opened = 0
        self._closed = False

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.host, self.port, self.tls)

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    async def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers=headers)

    async def post(
        self, path: str, *, headers: Mapping[str, str] | None = None, json: Any = None
    ) -> Response:
        return await self.request("POST", path, headers=headers, json=json)

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        priority: int = 0,
    ) -> Response:
        if self._closed:
            raise RuntimeError("client is closed")
        if json is not None:
            content = orjson.dumps(json)
        head = [f"{method} {path} HTTP/1.1\r\n".encode(), self._host_header]
        if headers:
            head.extend(f"{k}: {v}\r\n".encode() for k, v in headers.items())
        if content is not None:
            if json is not None:
                head.append(b"Content-Type: application/json\r\n")
            head.append(b"Content-Length: %d\r\n" % len(content))
        elif method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: 0\r\n")
        head.append(b"\r\n")
        if content:
            head.append(content)
        data = b"".join(head)
        await self._slots.acquire(priority)
        try:
            async with asyncio.timeout(self.timeout):
                sent = time.perf_counter()
                response = await self._send(data, method, path)
                response.elapsed = time.perf_counter() - sent
                return response
        except TimeoutError as exc:
            raise RequestTimeout(f"no answer within {self.timeout} s: {method} {path}") from exc
        finally:
            self._slots.release()

    async def _connection(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()  # most recently used first: the warmest
            if conn.usable():
                return conn
            conn.close()
        try:
            reader, writer = await asyncio.open_connection(
                self.host, self.port, limit=MAX_HEAD_BYTES, ssl=self.tls
            )
        except OSError as exc:  # ssl.SSLError (a certificate refused) is one too
            raise ConnectError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self.connections_opened += 1
        return _Connection(reader, writer)

    async def _send(self, data: bytes, method: str, path: str) -> Response:
        conn = await self._connection()
        keep = False
        try:
            conn.writer.write(data)
            if conn.writer.transport.get_write_buffer_size() > 65_536:
                await conn.writer.drain()
            response, keep = await _read_response(conn.reader, method, path)
            conn.requests += 1
            return response
        except asyncio.IncompleteReadError as exc:
            raise RemoteProtocolError(
                f"server closed the connection without a complete answer ({method} {path})"
            ) from exc
        except (asyncio.LimitOverrunError, ValueError) as exc:
            raise RemoteProtocolError(f"malformed answer to {method} {path}: {exc}") from exc
        except OSError as exc:  # reset, broken pipe
            raise ReadError(f"connection failed during {method} {path}: {exc}") from exc
        finally:
            if keep and not self._closed:
                self._idle.append(conn)
            else:
                conn.close()


async def _read_response(
    reader: asyncio.StreamReader, method: str, path: str
) -> tuple[Response, bool]:
    """One answer off the stream; also whether the connection may carry the next one."""
    raw = await read_response(reader, method)
    items: dict[str, str] = {}
    for name, value in raw.headers:
        items[name] = f"{items[name]}, {value}" if name in items else value
    return Response(raw.status, Headers(items), raw.body, method, path), raw.keep_alive
