"""Every failure has one shape: RFC 9457 problem+json with a stable code and request id."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from ticketsafe.infra import errors
from ticketsafe.infra.resources import Resources

PROBLEM = "application/problem+json"


class Payload(BaseModel):
    quantity: int = Field(ge=1, le=10)


def _add_routes(app: FastAPI) -> None:
    @app.get("/_test/raise/{name}")
    async def raise_named(name: str) -> None:
        table: dict[str, errors.TicketSafeError] = {
            "not_found": errors.NotFound("no such event"),
            "conflict": errors.Conflict("seat taken", code="seat_taken", seats=["A-1"]),
            "gone": errors.Gone("hold expired", code="hold_expired"),
            "limit": errors.BusinessRuleViolation("limit is 4", code="limit_exceeded", limit=4),
            "rate": errors.RateLimited(retry_after=7),
            "busy": errors.ServiceBusy("try again", retry_after=2),
        }
        raise table[name]

    @app.get("/_test/bug")
    async def bug() -> None:
        raise RuntimeError("secret internal detail")

    @app.post("/_test/validate")
    async def validate(body: Payload) -> Payload:
        return body


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    _add_routes(app)
    return app


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("not_found", 404, "not_found"),
        ("conflict", 409, "seat_taken"),
        ("gone", 410, "hold_expired"),
        ("limit", 422, "limit_exceeded"),
        ("rate", 429, "rate_limited"),
        ("busy", 503, "service_busy"),
    ],
)
async def test_typed_errors_render_as_problem(
    client: httpx.AsyncClient, name: str, status: int, code: str
) -> None:
    r = await client.get(f"/_test/raise/{name}")
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://ticketsafe.dev/problems/{code}"
    assert body["title"]
    assert body["request_id"] == r.headers["x-request-id"]


async def test_extra_fields_and_retry_after(client: httpx.AsyncClient) -> None:
    conflict = await client.get("/_test/raise/conflict")
    assert conflict.json()["seats"] == ["A-1"]
    rate = await client.get("/_test/raise/rate")
    assert rate.headers["retry-after"] == "7"
    assert rate.json()["retry_after"] == 7


async def test_payload_validation_is_422_with_fields(client: httpx.AsyncClient) -> None:
    r = await client.post("/_test/validate", json={"quantity": 0})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["loc"] == ["body", "quantity"]


async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/_test/validate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong = await client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


async def test_unexpected_error_is_generic_500(
    app: FastAPI, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/_test/bug")
    assert r.status_code == 500
    assert r.json()["code"] == "internal_error"
    assert "secret internal detail" not in r.text
    assert any(
        "secret internal detail" in rec.getMessage() or rec.exc_info for rec in caplog.records
    )


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"x-request-id": "abc-123-def-456"})
    assert given.headers["x-request-id"] == "abc-123-def-456"
    generated = await client.get("/healthz", headers={"x-request-id": "bad id\twith junk"})
    assert generated.headers["x-request-id"] != "bad id\twith junk"
    assert len(generated.headers["x-request-id"]) == 24


async def test_security_headers_present(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    # TLS is off in this fixture, so no HSTS: it is only sent when we serve HTTPS.
    assert "strict-transport-security" not in r.headers
