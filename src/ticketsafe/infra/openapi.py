"""The OpenAPI document tells the truth about failures.

Every failure answers RFC 9457 `application/problem+json` (`infra.errors`,
`infra.problem_handlers`), so every documented error response points at one shared
`Problem` schema. Which statuses an operation can answer is worked out here, once, from
what the route is, rather than written by hand on every endpoint:

    503   every operation (a store is down or restarting; Retry-After)
    422   an operation with parameters or a body (payload validation, business rules)
    400   an operation with a body (a body that is not JSON at all) or a `cursor`
          parameter (a cursor this API did not hand out)
    401   an operation that reads the caller (a missing, invalid or expired token)
    403   an operation that requires a caller (signed in, not allowed)
    404   an operation with path parameters (no such object, or not yours)
    409   a mutating operation (its Idempotency-Key is still being processed)

What only the route knows (409 sold out, 410 hold expired, 429 rate limited, 400
invalid cursor) it declares with FastAPI's own `responses=` (`problems(409, 410)`):
any 4xx/5xx response declared there is rendered with the same schema. An operation whose
caller is optional (the public seat map) declares its security as optional.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from ticketsafe.infra.problem_handlers import PROBLEM_MEDIA_TYPE

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request outside payload validation (e.g. a cursor this API did not hand out)",
    401: "Missing, invalid or expired credentials",
    403: "Signed in, but not allowed (the problem's detail says what would allow it)",
    404: "No such object, or not yours",
    409: "Conflict with the current state, or the same Idempotency-Key still running",
    410: "Existed once, not any more",
    413: "Request body too large",
    415: "Unsupported content type",
    422: "Payload validation failed (`validation_failed`, with `errors`) or refused by "
    "a business rule",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "Busy, or a data store is unavailable: retry after `Retry-After` seconds",
}
_RETRY_AFTER = {429, 503}
_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; typed errors may add fields of their own.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable reason."},
        "request_id": {"type": "string"},
        "retry_after": {"type": "integer", "minimum": 1},
        "errors": {
            "type": "array",
            "description": "With `validation_failed`: the offending fields.",
            "items": {
                "type": "object",
                "required": ["msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's own error statuses, for `@router.post(..., responses=problems(409))`."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}


def install_problem_contract(
    app: FastAPI,
    *,
    caller_required: tuple[Callable[..., Any], ...],
    caller_optional: Callable[..., Any],
) -> None:
    """Make `app.openapi()` document the problem responses. `caller_required` and
    `caller_optional` are the auth dependencies (identity's), found in each route's
    dependency tree to tell authenticated operations from public ones."""
    generate = app.openapi
    documented = False

    def openapi() -> dict[str, Any]:
        nonlocal documented
        schema = generate()
        if not documented:
            _document(schema, app, caller_required, caller_optional)
            documented = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document(
    schema: dict[str, Any],
    app: FastAPI,
    caller_required: tuple[Callable[..., Any], ...],
    caller_optional: Callable[..., Any],
) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):  # replaced by Problem
        components.pop(name, None)
    for route in iter_route_contexts(app.routes):  # routes of included routers too
        dependant = getattr(route, "dependant", None)
        if not isinstance(dependant, Dependant) or not getattr(route, "include_in_schema", False):
            continue
        calls = set(_calls(dependant))
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format or "", {}).get(method.lower())
            if operation is None:
                continue
            statuses = {503}
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.add(422)
            if operation.get("requestBody") or any(
                p.get("name") == "cursor" for p in operation.get("parameters", ())
            ):
                statuses.add(400)
            if dependant.path_params:
                statuses.add(404)
            if method in _MUTATING:
                statuses |= {409, 422}
            if calls.intersection(caller_required):
                statuses |= {401, 403}
            elif caller_optional in calls:
                statuses.add(401)
                schemes = operation.get("security", [])
                operation["security"] = [*schemes, {}]  # anonymous callers welcome
            _set_problems(operation["responses"], statuses)


def _set_problems(responses: dict[str, Any], defaults: set[int]) -> None:
    declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(defaults | declared):
        response = responses.setdefault(str(status), {})
        if not response.get("description") or response["description"] in (
            "Validation Error",
            "Additional Response",
        ):
            response["description"] = DESCRIPTIONS.get(status, "Failure")
        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
        if status in _RETRY_AFTER:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "required": status == 429,
                    "schema": {"type": "integer", "minimum": 1},
                }
            }


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)
