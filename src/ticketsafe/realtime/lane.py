"""The live lane: a live connection's frames skip the middleware chain.

A live connection is a request like any other until its channels are set up and its
head is sent: authentication, authorisation, request id, security headers, metrics and
the access log all see it (through FastAPI's route and the app's middlewares). What
follows — one frame per broadcast, to each of up to 10,000 connections — would go
through every middleware's `send` wrapper and keep every layer's coroutine frame (and
what it refers to: FastAPI's request, dependency results, exit stacks) alive for the
connection's whole lifetime, ~30 minutes.

So a live endpoint, once its head is sent, does not write its frames itself: it hands
the rest of the connection (`Detached`) to `LiveLane`, the outermost of the app's
middlewares, and returns. Every inner layer finishes as for a short request — the
request is counted and logged with its status when the stream starts, and its latency
is the time to the stream's head; open connections are counted by
`ticketsafe_live_connections` — and the lane runs the connection with the server's own
`send` and `receive`. Outside the lane (an app assembled without it) the endpoint runs
the connection itself, as before.
"""

from __future__ import annotations

from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

DETACHED = "ticketsafe.live.detached"  # scope key: the list a live endpoint hands over to


class Detached(Protocol):
    async def run(self, send: Send, receive: Receive) -> None:
        """Serve the connection to its end with the server's `send` and `receive`."""

    async def abandon(self) -> None:
        """Release it without serving (an inner layer failed after the hand-over)."""


class LiveLane:
    def __init__(self, app: ASGIApp, prefix: str = "/live/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        given = tuple(scope)
        handed: list[Detached] = []
        scope[DETACHED] = handed
        try:
            await self.app(scope, receive, send)
        except BaseException:
            for connection in handed:
                await connection.abandon()
            raise
        del scope[DETACHED]
        if handed:  # what the inner layers noted (the route, FastAPI's exit stacks …) is
            for key in [key for key in scope if key not in given]:  # not kept for the
                del scope[key]  # connection's lifetime (~2.5 KB a connection)
        for connection in handed:
            await connection.run(send, receive)


def hand_over(scope: Scope, connection: Detached) -> bool:
    """Give `connection` to the lane if the request came through one."""
    handed: list[Detached] | None = scope.get(DETACHED)
    if handed is None:
        return False
    handed.append(connection)
    return True
