"""Fixtures: real MongoDB-wire (SecantusDB) and Redis (Valkey) servers on free loopback
ports, started once per test session; every test gets its own database and a flushed
Redis. Nothing here touches services that may already run on standard ports."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.app import create_app
from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores, redis_server_binary
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.sandbox_psp.process import SandboxPspProcess

PSP_WEBHOOK_SECRET = "whsec-test-" + "y" * 32


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStores]:
    embedded = EmbeddedStores(tmp_path_factory.mktemp("stores"), durable=False, test_commands=True)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture(scope="session")
def sandbox_psp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sandbox PSP's own process (its state is its own, not our stores); each test
    names where it delivers webhooks with its charges (`sandbox_psp_notify_url`)."""
    psp = SandboxPspProcess(tmp_path_factory.mktemp("sandbox-psp"), PSP_WEBHOOK_SECRET)
    yield psp.start()
    psp.stop()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come only from what each test passes, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("TICKETSAFE_"):
            monkeypatch.delenv(key)


@pytest.fixture
def settings(stores: EmbeddedStores, sandbox_psp: str, tmp_path: Path) -> Settings:
    assert stores.mongo_url
    assert stores.redis_url
    return Settings(
        mongo_url=SecretStr(stores.mongo_url),
        redis_url=SecretStr(stores.redis_url),
        mongo_database=f"test_{uuid.uuid4().hex[:12]}",
        auth_secret=SecretStr("test-secret-" + "x" * 40),
        psp_webhook_secret=SecretStr(PSP_WEBHOOK_SECRET),
        public_url="http://testserver",
        sandbox_psp_url=sandbox_psp,
        # The `client` fixture serves the app on this port too, for the PSP's webhooks.
        sandbox_psp_notify_url=f"http://127.0.0.1:{free_port()}/payments/webhooks/sandbox-psp",
        data_dir=tmp_path / "data",
        tls_enabled=False,
        frontend_dir=tmp_path / "no-frontend",
    )


@pytest.fixture
def mail_catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    """A real SMTP server (aiosmtpd) filing every message it takes into a folder."""
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture
def mail_settings(settings: Settings, mail_catcher: MailCatcher) -> Settings:
    """`settings` sending mail to `mail_catcher`, with links to a public base URL. A test
    package that mails overrides `settings` with it: `def settings(mail_settings): ...`."""
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(mail_catcher.url),
            "public_base_url": "https://tickets.test",
        }
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
    """An HTTP client for the app, with its lifespan run (so it talks to the real stores);
    the app also listens on the loopback port the sandbox PSP delivers its webhooks to."""
    async with app.router.lifespan_context(app), _webhook_listener(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@contextlib.asynccontextmanager
async def _webhook_listener(app: FastAPI) -> AsyncIterator[None]:
    resources: Resources = app.state.resources
    notify = resources.settings.sandbox_psp_notify_url
    if notify is None:
        yield
        return
    port = httpx.URL(notify).port
    async with uvicorn_on_loopback(app, port=port, timeout_graceful_shutdown=1):
        yield


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
