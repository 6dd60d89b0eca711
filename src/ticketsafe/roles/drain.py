"""Graceful drain: on SIGTERM an api process ends its event streams with a reconnect hint.

uvicorn's own shutdown already stops accepting connections, closes idle keep-alive ones
and waits for requests in flight (bounded by `Settings.shutdown_grace_s`). What it cannot
do is end a Server-Sent Events response: such a response is "in flight" until the stream
ends by itself (up to 30 minutes for the waiting room's), so a rolling update would wait
that long, or be killed and cut every stream mid-frame.

`StreamDrain` wraps the app and remembers every response that is an event stream. When
the role starts draining, each of them is ended cleanly: its task is cancelled, then the
stream gets a last frame (`retry:` and an `event: reconnect`) and a proper end of body,
so an EventSource reconnects (through the balancer, to an instance that is not going
away) after the hinted delay instead of seeing a broken connection. A request still
running when the grace period is over (uvicorn cancels it) answers 503 `service_busy`
with Retry-After, the typed error of a transient outage, rather than uvicorn's bare 500.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketsafe.infra.errors import ServiceBusy
from ticketsafe.infra.problem_handlers import problem_for

log = logging.getLogger("ticketsafe.http")

RECONNECT_AFTER_MS = 1_000
RECONNECT_FRAME = (
    f'retry: {RECONNECT_AFTER_MS}\nevent: reconnect\ndata: {{"reason":"server draining"}}\n\n'
).encode()


class StreamDrain:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.draining = False
        self._streams: set[asyncio.Task[object]] = set()

    def start(self) -> None:
        """Begin draining: end every open event stream (idempotent)."""
        if self.draining:
            return
        self.draining = True
        if self._streams:
            log.info("draining: closing %d event stream(s)", len(self._streams))
        for task in list(self._streams):
            task.cancel("draining")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        started = stream = ended = False

        async def watched_send(message: Message) -> None:
            nonlocal started, stream, ended
            if message["type"] == "http.response.start":
                started = True
                if _is_event_stream(message):
                    stream = True
                    self._streams.add(task)
                    if self.draining:  # opened while draining: end it after its first frame
                        task.cancel("draining")
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                ended = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except asyncio.CancelledError:
            if not self.draining or ended or (started and not stream):
                raise
            task.uncancel()  # cancelled by the drain: answer below instead of aborting
            if stream:
                await send(
                    {"type": "http.response.body", "body": RECONNECT_FRAME, "more_body": True}
                )
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                busy = ServiceBusy("this instance is shutting down: try again", retry_after=1)
                await problem_for(busy)(scope, receive, send)
        finally:
            self._streams.discard(task)


def _is_event_stream(message: Message) -> bool:
    for name, value in message.get("headers", []):
        if name.lower() == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"text/event-stream")
    return False
