"""Fixtures: real MongoDB-wire (SecantusDB) and Redis (Valkey) servers on free loopback
ports, started once per test session; every test gets its own database and a flushed
Redis. Nothing here touches services that may already run on standard ports."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from ticketsafe.app import create_app
from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores, redis_server_binary
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStores]:
    embedded = EmbeddedStores(tmp_path_factory.mktemp("stores"), durable=False)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come only from what each test passes, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("TICKETSAFE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def settings(stores: EmbeddedStores, tmp_path: Path) -> Settings:
    assert stores.mongo_url
    assert stores.redis_url
    return Settings(
        mongo_url=SecretStr(stores.mongo_url),
        redis_url=SecretStr(stores.redis_url),
        mongo_database=f"test_{uuid.uuid4().hex[:12]}",
        auth_secret=SecretStr("test-secret-" + "x" * 40),
        psp_webhook_secret=SecretStr("whsec-test-" + "y" * 32),
        public_url="http://testserver",
        data_dir=tmp_path / "data",
        tls_enabled=False,
        frontend_dir=tmp_path / "no-frontend",
    )


@asynccontextmanager
async def fresh_resources(settings: Settings) -> AsyncIterator[Resources]:
    """The stores of `settings`, Redis flushed before and after, the database dropped."""
    res = Resources.open(settings)
    await res.redis.flushdb()
    try:
        yield res
    finally:
        await res.mongo.drop_database(settings.mongo_database)
        await res.redis.flushdb()
        await res.close()


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with fresh_resources(settings) as res:
        yield res


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, with its lifespan run (so it talks to the real stores)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[ChildProcess, str]]:
    """A Redis of the test's own (AOF on), for tests that kill and restart it."""
    port = free_port()
    (tmp_path / "redis").mkdir()
    argv = [
        redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
        "--dir", str(tmp_path / "redis"), "--appendonly", "yes", "--appendfsync", "everysec",
        "--save", "", "--daemonize", "no",
    ]  # fmt: skip
    child = ChildProcess("redis-fault", argv, tmp_path / "run")
    child.start()
    child.wait_for_port("127.0.0.1", port)
    yield child, f"redis://127.0.0.1:{port}/0"
    child.stop()
