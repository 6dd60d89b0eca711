"""Request ids: accepted from `X-Request-ID` when sane, else generated; echoed and logged.

Log lines also name who asked and about which event (`current_log_ids`): the request's
scope is kept for the request (one context variable, set once), and the ids are read from
it only when a line is written, so a request that logs nothing pays nothing. The event
is the route's `event_id` path parameter; the user is the one the access token names,
noted in the scope by the token check (`note_user`). Ids only: never a name, an e-mail
or anything else a person could be recognised by (invariant 6).
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_scope_var: ContextVar[Scope | None] = ContextVar("request_scope", default=None)
_USER_ID = "log_user_id"  # key in scope["state"]


def new_request_id() -> str:
    return secrets.token_hex(12)


def current_request_id() -> str | None:
    return request_id_var.get()


def note_user(scope: Scope, user_id: str) -> None:
    """The request is made by `user_id` (its access token says so): for the logs."""
    scope.setdefault("state", {})[_USER_ID] = user_id


def current_log_ids() -> dict[str, str]:
    """`user_id` and `event_id` of the request being handled, those that are known."""
    scope = _scope_var.get()
    if scope is None:
        return {}
    ids: dict[str, str] = {}
    user_id = scope.get("state", {}).get(_USER_ID)
    if user_id:
        ids["user_id"] = str(user_id)
    event_id = (scope.get("path_params") or {}).get("event_id")
    if event_id:
        ids["event_id"] = str(event_id)
    return ids


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): cheap, and does not buffer streaming responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER.encode())
        rid = incoming if incoming and _SANE_ID.match(incoming) else new_request_id()
        token = request_id_var.set(rid)
        scope_token = _scope_var.set(scope)
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            _scope_var.reset(scope_token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
