"""Reading one HTTP/1.1 answer off an asyncio stream: the wire format shared by our two
lean clients (the bench's load generator and `OutboundTransport`).

Bodies framed by Content-Length, chunked transfer coding, or the server closing the
connection; whether the connection may carry the next request (HTTP/1.1 keep-alive
unless `Connection: close`). Malformed input raises `ValueError`; a connection that
ends early raises `asyncio.IncompleteReadError`; callers map both to their own errors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024  # pass as the StreamReader's `limit` so `readuntil` can hold a head


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: list[tuple[str, str]]  # lower-case names, in the order received
    body: bytes
    keep_alive: bool


async def read_response(reader: asyncio.StreamReader, method: str) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {lines[0]!r}")
    status = int(rest[:3])
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        headers.append((name.strip().lower(), value.strip()))
    found = dict(headers)  # framing headers: the last of each is enough to decide
    keep = version == "HTTP/1.1"
    connection = found.get("connection", "").lower()
    if "close" in connection:
        keep = False
    elif "keep-alive" in connection:
        keep = True
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "chunked" in found.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in found:
        length = int(found["content-length"])
        body = await reader.readexactly(length) if length else b""
    else:  # delimited by the server closing the connection
        body = await reader.read()
        keep = False
    return RawResponse(status, headers, body, keep)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the end
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")
