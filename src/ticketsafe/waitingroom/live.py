"""Live status over Server-Sent Events.

Each connection re-reads the caller's place (one script call, which is also the
heartbeat) and sends it when it changed, or a comment line as keep-alive. It re-reads when
the admission worker publishes (draw, admissions: `ticketsafe.realtime.hub` wakes it) and
at least at the pace the status suggests (`poll_after_s`), so a lost message only delays.
The stream ends once the buyer is admitted (the last event carries the admission token)
or has no place (or an expired admission). An open stream is presence: its re-reads are
check-ins that keep the place (see docs/waiting-room.md). A change of on-sale time before
the draw wakes it too, and the new time is pushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncGenerator, AsyncIterator

from ticketsafe.identity.principal import Principal
from ticketsafe.realtime.hub import Hub
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.schemas import PlaceState
from ticketsafe.waitingroom.service import WaitingRoom

_FINAL = (PlaceState.ADMITTED, PlaceState.ADMISSION_EXPIRED, PlaceState.NOT_IN_QUEUE)
MAX_STREAM_S = 30 * 60  # clients reconnect (EventSource does so by itself)
KEEP_ALIVE_S = 15.0


async def status_stream(
    room: WaitingRoom,
    hub: Hub,
    event_id: str,
    principal: Principal,
    *,
    max_s: float = MAX_STREAM_S,
) -> AsyncGenerator[str]:
    async with hub.listen(QueueKeys(event_id).channel) as wake:
        async for chunk in _stream(room, wake, event_id, principal, max_s):
            yield chunk


async def _stream(
    room: WaitingRoom, wake: asyncio.Event, event_id: str, principal: Principal, max_s: float
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
        if current.state in _FINAL:
            return
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), min(current.poll_after_s, 5.0))
        await asyncio.sleep(0.05 + random.random() * 0.25)  # noqa: S311 - spread the re-reads
