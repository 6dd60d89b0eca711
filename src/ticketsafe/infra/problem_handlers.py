"""One error shape for every failure: RFC 9457 `application/problem+json`.

Typed `TicketSafeError`s render with their own status; payload validation is 422
`validation_failed`; unknown routes/methods keep their HTTP status; anything else is a bug
and answers a generic 500 (details only in the log, with the request id).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError
from redis.exceptions import BusyLoadingError, ClusterDownError, SlotNotCoveredError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ticketsafe.infra.errors import PROBLEM_BASE_URI, ServiceBusy, TicketSafeError
from ticketsafe.infra.request_context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Connection-level failures of our stores: transient by nature (failover, restart).
STORE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionFailure, AutoReconnect, ServerSelectionTimeoutError,
    RedisConnectionError, RedisTimeoutError, BusyLoadingError,
    # A Redis Cluster failing over (redis-py retried already): no primary for a slot yet.
    ClusterDownError, TryAgainError, SlotNotCoveredError,
)  # fmt: skip
log = logging.getLogger("ticketsafe.http")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def problem_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> Response:
    rid = current_request_id()
    if rid:
        body["request_id"] = rid
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def problem_for(exc: Exception) -> Response:
    """The answer for an exception raised by a handler (typed error, store outage, or a
    bug), for code that runs outside FastAPI's exception handlers (the fast lane)."""
    if isinstance(exc, TicketSafeError):
        return _typed_response(exc)
    if isinstance(exc, STORE_ERRORS):
        return _store_unavailable_response(exc)
    return _unexpected_response(exc)


def _typed_response(exc: TicketSafeError) -> Response:
    if exc.status >= 500:
        log.warning("service failure: %s", exc.detail, extra={"code": exc.instance_code})
    return problem_response(exc.problem(), exc.status, exc.headers)


async def _typed(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, TicketSafeError)
    return _typed_response(exc)


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    body = {
        "type": PROBLEM_BASE_URI + "validation_failed",
        "title": "Request validation failed",
        "status": 422,
        "detail": f"{len(errors)} field(s) failed validation",
        "code": "validation_failed",
        "errors": errors,
    }
    return problem_response(body, 422)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette lists only the first route matching the path
        headers["Allow"] = ", ".join(_allowed_methods(request.app, request.url.path))
    body = {
        "type": PROBLEM_BASE_URI + code,
        "title": code.replace("_", " ").capitalize(),
        "status": exc.status_code,
        "detail": str(exc.detail),
        "code": code,
    }
    return problem_response(body, exc.status_code, headers)


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route answers at `path` (routes of one path may live in
    several routers)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and route.methods:
            methods |= route.methods
    return sorted(methods)


async def _store_unavailable(_: Request, exc: Exception) -> Response:
    return _store_unavailable_response(exc)


def _store_unavailable_response(exc: Exception) -> Response:
    """A store is down or restarting: a transient 503 with Retry-After, never a 500."""
    log.warning("store unavailable: %s", type(exc).__name__)
    busy = ServiceBusy("a data store is unavailable; try again shortly", retry_after=2)
    return problem_response(busy.problem(), busy.status, busy.headers)


async def _unexpected(_: Request, exc: Exception) -> Response:
    return _unexpected_response(exc)


def _unexpected_response(exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    body = {
        "type": PROBLEM_BASE_URI + "internal_error",
        "title": "Internal error",
        "status": 500,
        "detail": "An unexpected error occurred; quote the request id when reporting it.",
        "code": "internal_error",
    }
    return problem_response(body, 500)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TicketSafeError, _typed)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    for store_error in STORE_ERRORS:
        app.add_exception_handler(store_error, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected)
