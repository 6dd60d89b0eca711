"""Invariant 6: a raw read of every collection finds no personal data in clear, and the
logs of a whole account lifecycle carry none either."""

from __future__ import annotations

import logging

import bson
import httpx
import pytest

from tests.identity.conftest import PASSWORD, Account, relogin, run_worker_until_idle
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher

NAME = "Maria Aparecida Quintanilha"
EMAIL = "maria.quintanilha@example.com"
PHONE = "+55 21 98765-4321"
CPF = "529.982.247-25"
NEEDLES = [
    NAME, "Quintanilha", EMAIL, EMAIL.upper(), "maria.quintanilha", PHONE, "987654321",
    "98765-4321", CPF, "52998224725",
]  # fmt: skip


async def _lifecycle(client: httpx.AsyncClient, resources: Resources, settings: Settings) -> None:
    """Every identity write, with Idempotency-Keys (their answers are kept in Redis)."""
    registered = await client.post(
        "/auth/register",
        headers={"Idempotency-Key": "reg-1"},
        json={"email": EMAIL, "password": PASSWORD, "name": NAME, "phone": PHONE, "cpf": CPF},
    )
    assert registered.status_code == 201
    account = await relogin(client, Account(registered.json()["id"], EMAIL, "", ""))
    await client.patch(
        "/me",
        headers={**account.headers, "Idempotency-Key": "patch-1"},
        json={"name": NAME, "phone": PHONE},
    )
    org = await client.post("/organizations", headers=account.headers, json={"name": "Arena"})
    await client.post(
        f"/organizations/{org.json()['id']}/members", headers=account.headers, json={"email": EMAIL}
    )
    await client.post("/auth/password-reset", json={"email": EMAIL})
    await client.post("/auth/login", json={"email": EMAIL, "password": "wrong password"})
    await run_worker_until_idle(resources, settings)


async def _raw_dump(resources: Resources) -> bytes:
    dump = b""
    for name in await resources.db.list_collection_names():
        async for doc in resources.db[name].find({}):
            dump += bson.encode(doc)
    return dump


async def test_raw_database_holds_no_plaintext_pii(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await _lifecycle(client, resources, settings)
    dump = await _raw_dump(resources)
    assert len(dump) > 1000  # the lifecycle did write: users, keys, sessions, outbox, audit
    found = [n for n in NEEDLES if n.encode() in dump or n.lower().encode() in dump]
    assert found == []


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _redis_dump(resources: Resources) -> bytes:
    dump = b""
    async for key in resources.redis.scan_iter():
        kind = _text(await resources.redis.type(key))
        if kind == "string":
            value = await resources.redis.get(key) or b""
            dump += value if isinstance(value, bytes) else value.encode()
        elif kind == "stream":
            dump += repr(await resources.redis.xrange(key)).encode()
        elif kind == "zset":
            dump += repr(await resources.redis.zrange(key, 0, -1)).encode()
        elif kind == "hash":
            dump += repr(await resources.redis.hgetall(key)).encode()
        else:
            dump += kind.encode()  # an unexpected type: make the test notice
    return dump


async def test_redis_holds_no_plaintext_pii(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await _lifecycle(client, resources, settings)
    dump = await _redis_dump(resources)
    assert b"reg-1" not in dump  # keys are hashed; the records exist though:
    assert dump.count(b'"state"') >= 2
    assert [n for n in NEEDLES if n.encode() in dump or n.lower().encode() in dump] == []


async def test_logs_hold_no_pii(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    mail_catcher: MailCatcher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await _lifecycle(client, resources, settings)
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "mail sent" in text  # the lifecycle did log
    assert [n for n in NEEDLES if n in text or n.lower() in text] == []
