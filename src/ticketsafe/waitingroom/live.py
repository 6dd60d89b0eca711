"""Live status over Server-Sent Events.

An open stream is presence: its re-reads of the caller's place (one script call each) are
the check-ins that keep it (see docs/waiting-room.md), so the stream re-reads at the pace
the status itself suggests (`poll_after_s`: every 2 s at the front, up to a third of the
admission token's life far back), the same server-paced rhythm a polling client keeps,
and sends the place when it changed, or a comment line as keep-alive in between.

A message on the queue's channel (`ticketsafe.infra.live_hub`: the draw, each admission
step, a change of supply or of on-sale time) wakes it early only where it can concern
this person now: in the pre-queue (the draw) and near the front of the line. Every
admission step used to wake every open stream, so a crowd of tens of thousands re-read
its places every second: far back, a place moves by the same few people per step and
nobody there can be admitted yet. A lost message only delays until the next re-read. The
stream ends once the buyer is admitted (the last event carries the admission token) or
has no place (or an expired admission).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncGenerator, AsyncIterator

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.live_hub import Hub
from ticketsafe.waitingroom.keys import QueueKeys
from ticketsafe.waitingroom.schemas import PlaceState, QueueStatus
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


# A woken stream re-reads at once when this few are ahead or fewer (the front, whom the
# next admission steps may let in) or when the wait is this short.
WAKE_AHEAD = 100
WAKE_WAIT_S = 10


def _woken_by_news(current: QueueStatus) -> bool:
    """Whether a message on the queue's channel should make this stream re-read now."""
    if current.state is PlaceState.PRE_QUEUE:
        return True
    ahead, wait = current.people_ahead, current.estimated_wait_s
    return (ahead is not None and ahead <= WAKE_AHEAD) or (wait is not None and wait <= WAKE_WAIT_S)


async def _stream(
    room: WaitingRoom, wake: asyncio.Event, event_id: str, principal: Principal, max_s: float
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    last = ""
    last_sent = loop.time()
    yield "retry: 3000\n\n"
    while loop.time() < deadline:
        wake.clear()  # news from now on counts, even while the reader holds this chunk
        current = await room.status(event_id, principal)
        data = current.model_dump_json()
        if data != last:
            yield f"event: status\ndata: {data}\n\n"
            last, last_sent = data, loop.time()
        if current.state in _FINAL:
            return
        next_read = min(deadline, loop.time() + current.poll_after_s)
        prompt = _woken_by_news(current)
        while (left := next_read - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), min(left, KEEP_ALIVE_S))
            if wake.is_set():
                wake.clear()
                if prompt:
                    break
            if loop.time() - last_sent >= KEEP_ALIVE_S:
                yield ": keep-alive\n\n"
                last_sent = loop.time()
        await asyncio.sleep(0.05 + random.random() * 0.25)  # noqa: S311 - spread the re-reads
