"""Idempotency-Key on a real Redis: replay, in-progress 409, reuse 422, 5xx not kept."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import FastAPI
from pydantic import BaseModel, SecretStr

from ticketsafe.app import create_app
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.errors import Conflict
from ticketsafe.infra.idempotency import _hkdf_sha256
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


class Purchase(BaseModel):
    seats: int


class Gate:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = asyncio.Event()


@pytest.fixture
def counter() -> itertools.count[int]:
    return itertools.count(1)


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def app(app: FastAPI, counter: itertools.count[int], gate: Gate) -> FastAPI:
    @app.post("/_test/buy", status_code=201)
    async def buy(body: Purchase) -> dict[str, int]:
        return {"order": next(counter), "seats": body.seats}

    @app.post("/_test/slow")
    async def slow() -> dict[str, int]:
        gate.entered.set()
        await gate.release.wait()
        return {"order": next(counter)}

    @app.post("/_test/sold-out")
    async def sold_out() -> None:
        raise Conflict("sold out", code="sold_out")

    @app.post("/_test/crash")
    async def crash() -> dict[str, int]:
        n = next(counter)
        if n == 1:
            raise RuntimeError("first attempt crashes")
        return {"order": n}

    return app


def key(value: str) -> dict[str, str]:
    return {"idempotency-key": value}


async def test_retry_replays_first_answer(client: httpx.AsyncClient) -> None:
    first = await client.post("/_test/buy", json={"seats": 2}, headers=key("k1"))
    again = await client.post("/_test/buy", json={"seats": 2}, headers=key("k1"))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"order": 1, "seats": 2}
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post("/_test/buy", json={"seats": 2}, headers=key("k2"))
    assert other.json()["order"] == 2
    no_key = await client.post("/_test/buy", json={"seats": 2})
    assert no_key.json()["order"] == 3


async def test_business_failures_are_replayed_too(client: httpx.AsyncClient) -> None:
    first = await client.post("/_test/sold-out", headers=key("k"))
    again = await client.post("/_test/sold-out", headers=key("k"))
    assert first.status_code == again.status_code == 409
    assert again.json()["code"] == "sold_out"


async def test_same_key_other_payload_is_refused(client: httpx.AsyncClient) -> None:
    await client.post("/_test/buy", json={"seats": 2}, headers=key("k"))
    r = await client.post("/_test/buy", json={"seats": 3}, headers=key("k"))
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"


async def test_concurrent_duplicate_gets_409(client: httpx.AsyncClient, gate: Gate) -> None:
    first = asyncio.create_task(client.post("/_test/slow", headers=key("k")))
    await gate.entered.wait()
    dup = await client.post("/_test/slow", headers=key("k"))
    assert dup.status_code == 409
    assert dup.json()["code"] == "request_in_progress"
    assert dup.headers["retry-after"] == "1"
    gate.release.set()
    assert (await first).json() == {"order": 1}
    assert (await client.post("/_test/slow", headers=key("k"))).json() == {"order": 1}


async def test_server_errors_are_not_kept(app: FastAPI, client: httpx.AsyncClient) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.post("/_test/crash", headers=key("k"))).status_code == 500
        retry = await c.post("/_test/crash", headers=key("k"))
    assert retry.status_code == 200
    assert retry.json() == {"order": 2}


async def test_keys_are_scoped_per_user(app: FastAPI, client: httpx.AsyncClient) -> None:
    def user(uid: str) -> dict[str, str]:
        token = app.state.services.token_codec.issue(Principal(uid))
        return {"authorization": f"Bearer {token}", "idempotency-key": "same"}

    a = await client.post("/_test/buy", json={"seats": 1}, headers=user("usr_a"))
    b = await client.post("/_test/buy", json={"seats": 1}, headers=user("usr_b"))
    assert a.json()["order"] != b.json()["order"]


async def test_invalid_key_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/_test/buy", json={"seats": 1}, headers=key("x" * 300))
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_idempotency_key"


async def test_kept_answers_are_unreadable_in_redis(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    secret_key = "k-secret-0001"
    first = await client.post("/_test/buy", json={"seats": 7}, headers=key(secret_key))
    keys = [k async for k in resources.redis.scan_iter("ts:idem:*")]
    assert len(keys) == 1
    assert secret_key.encode() not in keys[0]
    raw = await resources.redis.get(keys[0])
    assert raw is not None
    assert b'"seats"' not in raw
    assert b'"order"' not in raw
    again = await client.post("/_test/buy", json={"seats": 7}, headers=key(secret_key))
    assert again.json() == first.json()


@pytest.mark.parametrize("secret", [b"", b"user:usr_1\x00key-1", bytes(range(256))])
def test_replay_key_derivation_is_rfc5869_hkdf(secret: bytes) -> None:
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ctx").derive(secret)
    assert _hkdf_sha256(secret, b"ctx") == expected


async def test_a_redis_outage_answers_503_and_runs_nothing(
    settings: Settings, resources: Resources
) -> None:
    """The record cannot be written, so the request must not run (a retry might run it
    twice): 503 with Retry-After, like any store outage, never a 500."""
    ran: list[int] = []
    dead_redis = settings.model_copy(
        update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0")}
    )
    app = create_app(dead_redis)

    @app.post("/_test/buy-once", status_code=201)
    async def buy_once() -> dict[str, int]:
        ran.append(1)
        return {"order": len(ran)}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post("/_test/buy-once", headers={"Idempotency-Key": "k-outage"})
            plain = await c.post("/_test/buy-once")  # no key: this layer is not involved
    assert r.status_code == 503, r.text
    assert (r.json()["code"], r.headers["retry-after"]) == ("service_busy", "2")
    assert r.headers["content-type"] == "application/problem+json"
    assert plain.status_code == 201
    assert ran == [1]
