"""One message format for SSE and WebSocket: `{id, channel, type, data}`.

`id` orders a channel's messages: a user stream's entry id (resume with Last-Event-ID),
or a seat-map feed's sequence number. Types: `snapshot` (the whole state: replace),
`delta` (changes: apply), `status` (a queue place), `order` (an order changed),
`heartbeat`, `reconnect` (the connection's lifetime is over: connect again), `error`
(a refused subscription, with `code`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson


@dataclass(frozen=True)
class LiveMessage:
    channel: str
    type: str
    data: dict[str, Any]
    id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "channel": self.channel, "type": self.type, "data": self.data}

    # One message goes to every connection watching its channel: serialised once, not
    # once per connection (a broadcast to 10,000 clients would otherwise encode 10,000×).
    @cached_property
    def _json(self) -> str:
        return orjson.dumps(self.as_dict()).decode()

    @cached_property
    def _sse(self) -> str:
        head = f"id: {self.channel}/{self.id}\n" if self.id else ""
        return f"{head}event: {self.type}\ndata: {self._json}\n\n"

    @cached_property
    def sse_bytes(self) -> bytes:
        return self._sse.encode()

    @cached_property
    def size(self) -> int:
        return len(self._json)

    def to_json(self) -> str:
        return self._json

    def to_sse(self) -> str:
        return self._sse
