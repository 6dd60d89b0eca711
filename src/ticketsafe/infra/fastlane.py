"""The fast lane: the few endpoints a flash crowd hammers (hold, queue join), answered
without FastAPI's per-request machinery.

For a hold, FastAPI's routing over every route, dependency solving and its inner
exception/exit-stack middlewares were about 45 % of the request's CPU. A `FastRoute`
answers the same path directly: it matches by segments, reads the body, and calls a
handler that uses the *same* service call as the FastAPI endpoint.

The FastAPI route stays the contract: it is what OpenAPI documents, and the handler
hands it every request that is not the plain common case by returning `None` — a body
that fails validation (FastAPI renders the canonical 422), another content type, a
body over the limit. Errors raised by the handler get the same problem+json answers as
the app's exception handlers (`problem_for`). Request ids, security headers and metrics
(it sets the route template) still apply: this layer sits inside them, and just outside
the idempotency middleware (see `FastRoute.own_idempotency`) — or, for routes that
rely on that middleware to keep their keys (checkout), just inside it. A handler defers
jobs on `FastRequest.jobs`; they leave as a route's do (`infra.job_flush`): only if
the handler answered, and after the answer.

The lane also orders the work under load. The waiting room's crowd (challenges, joins,
status polls: ~85 % of the requests of a big on-sale) is many times the shop's traffic
(holds, checkouts, payments), and an event loop serves every request in flight in
turn: a hold waited behind hundreds of polls. A route marked `yields` runs only while
fewer than `yield_limit` such requests are being served in this process; the rest wait
in arrival order without using the CPU, so the shop's requests go first and the crowd
still gets every cycle the shop leaves. Unloaded, a few in flight are never waited on.
That line is bounded (`infra.crowd_gate`): past `crowd_max_waiting` waiting, or after
`crowd_max_wait_s` of waiting, a request is answered 503 with a jittered Retry-After
instead of being served after its browser gave up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketsafe.infra.asgi_body import read_body, replay
from ticketsafe.infra.crowd_gate import CrowdGate, CrowdOverloaded
from ticketsafe.infra.job_flush import send_after_answer
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.problem_handlers import problem_for, problem_response
from ticketsafe.infra.resources import Resources

T = TypeVar("T")

MAX_BODY_BYTES = 64 * 1024  # a hold or a join is a few hundred bytes, a checkout a few KB


@dataclass(frozen=True, slots=True)
class FastResponse:
    status: int
    body: bytes
    media_type: bytes = b"application/json"
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(slots=True)
class FastRequest:
    scope: Scope
    params: dict[str, str]
    body: bytes
    _jobs: JobBuffer | None = None

    @property
    def app(self) -> Any:
        return self.scope["app"]

    @property
    def jobs(self) -> JobBuffer:
        """The request's jobs, as `JobsDep` for a route: the lane sends them only if the
        handler answered, after the answer (`infra.job_flush`)."""
        if self._jobs is None:
            self._jobs = JobBuffer()
        return self._jobs

    @property
    def deferred(self) -> JobBuffer | None:
        """The jobs deferred so far; None if the handler never asked for `jobs`."""
        return self._jobs

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.scope["headers"]:
            if key == name:
                return bytes(value)
        return None

    @property
    def is_json(self) -> bool:
        content_type = self.header(b"content-type") or b""
        return content_type.split(b";", 1)[0].strip().lower() == b"application/json"

    def json_as(self, adapter: TypeAdapter[T]) -> T | None:
        """The JSON body validated as `adapter`'s type; None for another content type or
        a body that fails validation (the handler declines: FastAPI answers the 422)."""
        if not self.is_json:
            return None
        try:
            return adapter.validate_json(self.body)
        except ValidationError:
            return None


Handler = Callable[[FastRequest], Awaitable[FastResponse | None]]


class FastRoute:
    """`FastRoute("POST", "/events/{event_id}/holds", handler)`; `path` is the template
    (the metrics label, as for FastAPI routes). The lane sits outside the idempotency
    middleware: a request with an `Idempotency-Key` takes the lane only if the handler
    keeps the key itself (`own_idempotency`), otherwise it goes the usual way."""

    def __init__(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        own_idempotency: bool = False,
        yields: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.handler = handler
        self.own_idempotency = own_idempotency
        self.yields = yields  # under load, waits for the routes that do not (see above)
        self._segments = tuple(path.strip("/").split("/"))

    def match(self, path: str) -> dict[str, str] | None:
        parts = path.strip("/").split("/")
        if len(parts) != len(self._segments):
            return None
        params: dict[str, str] = {}
        for pattern, part in zip(self._segments, parts, strict=True):
            if pattern.startswith("{"):
                if not part:
                    return None
                params[pattern[1:-1]] = part
            elif pattern != part:
                return None
        return params


class FastLane:
    """ASGI middleware: answer matching requests, pass the rest (and declined ones) on.
    A lane added `behind_idempotency` sits inside the idempotency middleware (which
    keeps every key for its routes), so it takes keyed requests too."""

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[FastRoute] = (),
        *,
        behind_idempotency: bool = False,
        yield_limit: int = 0,
        crowd_max_waiting: int = 1_000,
        crowd_max_wait_s: float = 5.0,
    ) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.behind_idempotency = behind_idempotency
        # How many requests of `yields` routes are served at once (0: no limit), and how
        # long their line may grow before the next is told to come back later.
        self.crowd = (
            CrowdGate(yield_limit, max_waiting=crowd_max_waiting, max_wait_s=crowd_max_wait_s)
            if yield_limit > 0
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # While FastAPI dependency overrides are installed (tests), every request takes
        # the FastAPI route, so overrides keep working as documented.
        if scope["type"] == "http" and not getattr(scope["app"], "dependency_overrides", None):
            for route in self.routes:
                if route.method == scope["method"]:
                    params = route.match(scope["path"])
                    if params is not None and (
                        self.behind_idempotency or route.own_idempotency or not _keyed(scope)
                    ):
                        try:
                            async with self._turn(route):
                                await self._serve(route, params, scope, receive, send)
                        except CrowdOverloaded as busy:  # refused before any work: no log
                            scope["route"] = route
                            answer = problem_response(busy.problem(), busy.status, busy.headers)
                            await answer(scope, receive, send)
                        return
        await self.app(scope, receive, send)

    def _turn(self, route: FastRoute) -> contextlib.AbstractAsyncContextManager[Any]:
        if route.yields and self.crowd is not None:
            return self.crowd.turn()
        return contextlib.nullcontext()

    async def _serve(
        self, route: FastRoute, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        body, complete = await read_body(receive, MAX_BODY_BYTES)
        if not complete:
            await self.app(scope, replay(body, rest=receive), send)
            return
        scope["path_params"] = params  # as routing would (the logs read the event id)
        request = FastRequest(scope, params, body)
        try:
            answer = await route.handler(request)
        except Exception as exc:  # the same answers as the app's exception handlers
            scope["route"] = route
            await problem_for(exc)(scope, receive, send)
            return  # its jobs are dropped, as `JobsDep` drops a raising route's
        if answer is None:  # declined before any work: the route does it all again
            await self.app(scope, replay(body), send)
            return
        scope["route"] = route
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-type", answer.media_type),
                    (b"content-length", str(len(answer.body)).encode()),
                    *answer.headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})
        if request.deferred is not None:
            resources: Resources = scope["app"].state.resources
            await send_after_answer(request.deferred, resources.queue)


def _keyed(scope: Scope) -> bool:
    return any(name == b"idempotency-key" for name, _ in scope["headers"])
