"""One write per small HTTP response: uvicorn writes a response's head and its body with
two `transport.write` calls, i.e. two send(2) system calls and, on loopback or a LAN, two
segments for the client to wake up for. Under a flash crowd most responses are a few
hundred bytes (a hold, a queue status), so the head's own send is a good part of the
cost of the answer.

`CoalescingTransport` wraps the connection's transport: a write that is a response head
(`HTTP/1.1 …\\r\\n\\r\\n`) is kept back and goes out with the next write — the body,
written in the same event-loop turn by every non-streaming response — or on its own at
the next loop iteration (a streaming response whose first chunk is not ready). Bytes
leave in the order written; `close` sends what is kept first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_START = b"HTTP/1.1 "
_HEAD_END = b"\r\n\r\n"


class CoalescingTransport:
    """Delegates everything to `transport` except `write` and `close` (see module)."""

    __slots__ = ("_kept", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._kept: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._kept is not None:
            kept, self._kept = self._kept, None
            self._transport.writelines((kept, data))
        elif isinstance(data, bytes) and data.startswith(_HEAD_START) and data.endswith(_HEAD_END):
            self._kept = data
            self._loop.call_soon(self._send_kept)
        else:
            self._transport.write(data)

    def _send_kept(self) -> None:
        if self._kept is not None:
            kept, self._kept = self._kept, None
            if not self._transport.is_closing():
                self._transport.write(kept)

    def close(self) -> None:
        self._send_kept()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
