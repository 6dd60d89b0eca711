"""One job-flush rule for both lanes (`ticketsafe.infra.job_flush`), and the fast lane
answering as the FastAPI route while a store is down.

The stores are reached through loopback proxies the test can close, so "Redis down" and
"MongoDB down" are real refused connections, for the app and the test alike. Each
scenario runs once on the fast lane and once down the FastAPI route (`both_ways`); the
two must agree on status, content type and error body."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.infra.test_fastlane import _both_ways as both_ways
from tests.inventory.tcp_proxy import CuttableProxy
from tests.orders.conftest import Sale, open_sale
from tests.orders.test_checkout import VISA_OK, card
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.jobs import JobBuffer, JobQueue
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER, sign
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import PaymentMethod
from ticketsafe.payments.processors import ProviderContext

WEBHOOK = "/payments/webhooks/sandbox-psp"


@dataclasses.dataclass
class Stores:
    mongo: CuttableProxy
    redis: CuttableProxy


def _host_port(url: SecretStr | None) -> tuple[str, int]:
    assert url is not None
    host_port = url.get_secret_value().split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    return host, int(port)


@pytest.fixture
async def proxies(settings: Settings) -> AsyncIterator[Stores]:
    both = Stores(
        CuttableProxy(*_host_port(settings.mongo_url)),
        CuttableProxy(*_host_port(settings.redis_url)),
    )
    await both.mongo.start()
    await both.redis.start()
    yield both
    await both.mongo.stop()
    await both.redis.stop()


@pytest.fixture
def proxied(settings: Settings, proxies: Stores) -> Settings:
    """The test's settings, with both stores behind the proxies."""
    return settings.model_copy(
        update={
            "mongo_url": SecretStr(
                f"mongodb://127.0.0.1:{proxies.mongo.port}/?retryWrites=false&directConnection=true"
            ),
            "redis_url": SecretStr(f"redis://127.0.0.1:{proxies.redis.port}/0"),
        }
    )


@pytest.fixture
def app(proxied: Settings) -> FastAPI:
    from ticketsafe.app import create_app  # noqa: PLC0415

    return create_app(proxied)


@contextmanager
def down(proxy: CuttableProxy) -> Iterator[None]:
    """The store refuses every connection (and drops the open ones) until the block ends."""
    proxy.refusing = True
    proxy.cut()
    try:
        yield
    finally:
        proxy.refusing = False


def _signed(settings: Settings, kind: str, charge: str) -> tuple[bytes, dict[str, str]]:
    assert settings.psp_webhook_secret is not None
    body = orjson.dumps(
        {
            "id": f"evt_{time.time_ns()}",
            "type": kind,
            "created": int(time.time()),
            "data": {"id": charge},
        }
    )
    return body, {SIGNATURE_HEADER: sign(settings.psp_webhook_secret.get_secret_value(), body)}


class Shop:
    """One sale and one PIX payment, made afresh for each lane's run."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, resources: Resources) -> None:
        self.app, self.client, self.resources = app, client, resources
        self.sales: list[Sale] = []
        self.charges: list[str] = []
        self.holds: list[dict[str, Any]] = []

    async def prepare(self) -> None:
        sale = await open_sale(self.app, self.client, self.resources)
        self.sales.append(sale)
        buyer = sale.buyer(f"usr_{len(self.sales)}")
        hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
        self.holds.append(hold)
        ctx = ProviderContext(
            self.resources.db, self.resources.redis, JobBuffer(), self.resources.settings,
            self.resources.http,
        )  # fmt: skip
        payment = await payments.start_payment(
            ctx, order_id=f"ord_{time.time_ns()}", method=PaymentMethod.PIX,
            amount_cents=500, currency="BRL",
        )  # fmt: skip
        assert payment.provider_ref is not None
        self.charges.append(payment.provider_ref)

    async def checkout(self, card_token: str) -> httpx.Response:
        sale = self.sales[-1]
        buyer = sale.buyer(f"usr_{len(self.sales)}")
        return await sale.checkout(
            buyer, self.holds[-1], method="card_sandbox", card_token=card_token
        )

    async def webhook(self, settings: Settings) -> httpx.Response:
        body, headers = _signed(settings, "pix.received", self.charges[-1])
        return await self.client.post(WEBHOOK, content=body, headers=headers)


@pytest.fixture
def shop(app: FastAPI, client: httpx.AsyncClient, resources: Resources) -> Shop:
    return Shop(app, client, resources)


async def test_jobs_lost_after_a_commit_never_change_the_answer(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, shop: Shop,
    proxied: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Redis fails just when the jobs are sent: the checkout and the webhook were
    committed, so both lanes answer what the database says (201 / 200 applied) and the
    jobs are logged as not queued (their outboxes and sweeps re-drive them). The fast
    lane used to flush first and answer 503 for an order it had committed."""
    live = app.state.resources
    closed = create_redis_client(f"redis://127.0.0.1:{free_port()}/0")
    jobs_down = dataclasses.replace(live, queue=JobQueue(closed))

    async def scenario(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        token = await card(client, VISA_OK)
        app.state.resources = jobs_down  # where both lanes send a request's jobs
        try:
            return [await shop.checkout(token), await shop.webhook(proxied)]
        finally:
            app.state.resources = live

    caplog.set_level(logging.WARNING, logger="ticketsafe.jobs")
    try:
        fast, slow = await both_ways(app, client, shop.prepare, scenario, monkeypatch)
    finally:
        await closed.aclose()
    assert fast == slow
    assert [(s, b.get("status") or b.get("outcome")) for s, _, b in fast] == [
        (201, "paid"),
        (200, "applied"),
    ]
    lost = [r.getMessage() for r in caplog.records if "jobs not queued" in r.getMessage()]
    assert len(lost) == 4, lost  # checkout and webhook, on each lane
    assert await resources.db["orders"].count_documents({"status": "paid"}) == 2


@pytest.mark.parametrize(
    ("store", "codes"),
    [
        ("redis", ["inventory_busy", "service_busy"]),  # the checkout reads its hold first
        ("mongo", ["service_busy", "service_busy"]),
    ],
)
async def test_with_a_store_down_both_lanes_answer_alike(
    app: FastAPI, client: httpx.AsyncClient, shop: Shop, proxies: Stores, proxied: Settings,
    monkeypatch: pytest.MonkeyPatch, store: str, codes: list[str],
) -> None:  # fmt: skip
    """The checkout and the webhook while Redis or MongoDB refuses connections: the same
    503 problem on both lanes (a business failure never 500)."""
    proxy: CuttableProxy = getattr(proxies, store)

    async def scenario(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        token = await card(client, VISA_OK)
        with down(proxy):
            return [await shop.checkout(token), await shop.webhook(proxied)]

    fast, slow = await both_ways(app, client, shop.prepare, scenario, monkeypatch)
    assert fast == slow
    assert [(s, b["code"]) for s, _, b in fast] == [(503, code) for code in codes]
