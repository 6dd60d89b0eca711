"""Live status over Server-Sent Events.

Each connection re-reads the caller's place (one script call, which is also the
heartbeat) and sends it when it changed, or a comment line as keep-alive, at the pace the
status suggests (`poll_after_s`: faster near the head). The stream ends once the buyer is
admitted (the last event carries the admission token) or has no place.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ticketsafe.identity.principal import Principal
from ticketsafe.waitingroom.schemas import PlaceState
from ticketsafe.waitingroom.service import WaitingRoom

MAX_STREAM_S = 30 * 60  # clients reconnect (EventSource does so by itself)
KEEP_ALIVE_S = 15.0


async def status_stream(
    room: WaitingRoom, event_id: str, principal: Principal, *, max_s: float = MAX_STREAM_S
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    last = ""
    last_sent = loop.time()
    yield "retry: 3000\n\n"
    while loop.time() < deadline:
        current = await room.status(event_id, principal)
        data = current.model_dump_json()
        if data != last:
            yield f"event: status\ndata: {data}\n\n"
            last, last_sent = data, loop.time()
        elif loop.time() - last_sent >= KEEP_ALIVE_S:
            yield ": keep-alive\n\n"
            last_sent = loop.time()
        if current.state in (PlaceState.ADMITTED, PlaceState.NOT_IN_QUEUE):
            return
        await asyncio.sleep(min(current.poll_after_s, 5.0))
