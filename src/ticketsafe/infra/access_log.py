"""The access log: one line per HTTP request, on the `ticketsafe.access` logger.

Each line (JSON with the app's formatter) carries the method, the route *template*
(`/events/{event_id}/holds`: ids stay out of the log's keys, and lines group by
endpoint), the status, the duration in milliseconds and the request id. It sits just
inside the request-id middleware, so the fast lane's answers are logged like FastAPI's
(both set `scope["route"]`), and errors answered by any layer inside it too.

Under a flash crowd one line per request is a lot of output: `access_log_sample_rate`
keeps that fraction of the lines (each kept line says the rate it was kept at, so
counts can be scaled back); server errors (5xx) are always kept. A request whose
client went away before any answer is logged with status 499, as nginx does.
"""

from __future__ import annotations

import logging
import random
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ticketsafe.access")

CLIENT_GONE = 499


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, sample_rate: float = 1.0) -> None:
        self.app = app
        self.sample_rate = sample_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            status = status or 500
            raise
        finally:
            self._log(scope, status or CLIENT_GONE, time.perf_counter() - started)

    def _log(self, scope: Scope, status: int, elapsed_s: float) -> None:
        rate = self.sample_rate
        if status < 500 and rate < 1.0 and random.random() >= rate:  # noqa: S311 - sampling
            return
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        extra: dict[str, object] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(elapsed_s * 1000, 2),
        }
        if rate < 1.0:
            extra["sample_rate"] = rate
        log.info("%s %s %s", method, route, status, extra=extra)
