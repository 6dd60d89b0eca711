"""Fan-out across real API processes: two `ticketsafe api` OS processes on loopback
against the session's stores; a hold placed through one reaches an SSE client and a
WebSocket client connected to the other."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from tests.orders.conftest import open_sale
from tests.realtime.test_live import TIMEOUT, first, seat_is, sse_messages
from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


def api_env(settings: Settings, port: int) -> dict[str, str]:
    """The test's settings for a child (same stores, database, keys and secrets)."""
    secrets = (settings.mongo_url, settings.redis_url, settings.auth_secret,
               settings.psp_webhook_secret)  # fmt: skip
    mongo, redis, auth, webhook = (s.get_secret_value() for s in secrets if s is not None)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": mongo,
        "TICKETSAFE_REDIS_URL": redis,
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_AUTH_SECRET": auth,
        "TICKETSAFE_PSP_WEBHOOK_SECRET": webhook,
        "TICKETSAFE_TLS_ENABLED": "false",
        "TICKETSAFE_HOST": "127.0.0.1",
        "TICKETSAFE_HTTP_PORT": str(port),
        "TICKETSAFE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TICKETSAFE_DATA_DIR": str(settings.data_dir),
        "TICKETSAFE_FRONTEND_DIR": str(settings.frontend_dir),
    }


@pytest.fixture
async def two_apis(
    settings: Settings, resources: Resources, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    ports = [free_port(), free_port()]
    children = [
        ChildProcess(f"api-{n}", [sys.executable, "-m", "ticketsafe", "api"],
                     tmp_path / f"api-{n}", api_env(settings, port))
        for n, port in enumerate(ports)
    ]  # fmt: skip
    try:
        for child in children:
            child.start()
        for child, port in zip(children, ports, strict=True):
            await asyncio.to_thread(child.wait_for_port, "127.0.0.1", port, 60.0)
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        yield a, b
    finally:
        for child in children:
            child.stop()


async def test_a_hold_through_process_a_reaches_sse_and_websocket_clients_of_process_b(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, two_apis: tuple[str, str]
) -> None:
    sale = await open_sale(app, client, resources)
    channel = f"event:{sale.event_id}"
    url_a, url_b = two_apis
    watcher = sale.buyer("usr_watch")
    async with (
        httpx.AsyncClient(base_url=url_a, timeout=TIMEOUT) as http_a,
        httpx.AsyncClient(base_url=url_b, timeout=TIMEOUT) as http_b,
        http_b.stream("GET", "/live/stream", params={"channel": channel}, headers=watcher) as sse,
    ):
        assert sse.status_code == 200
        messages = sse_messages(sse)
        snapshot = await first(messages, lambda m: m["type"] == "snapshot")
        assert snapshot["data"]["seats"]["A:r-1:s-2"] == "available"
        ticket = (await http_b.post("/live/tickets", headers=watcher)).json()["ticket"]
        ws_url = url_b.replace("http", "ws") + f"/live/ws?channel={channel}&ticket={ticket}"
        async with websockets.connect(ws_url) as ws:

            async def ws_messages() -> AsyncIterator[dict[str, Any]]:
                while True:
                    yield json.loads(await ws.recv())

            frames = ws_messages()
            await first(frames, lambda m: m["type"] == "snapshot")
            held = await http_a.post(
                f"/events/{sale.event_id}/holds",
                json={"kind": "seats", "seat_ids": ["A:r-1:s-2"]},
                headers=sale.buyer("usr_1"),
            )
            assert held.status_code == 201, held.text
            await first(messages, seat_is("A:r-1:s-2", "held"))
            await first(frames, seat_is("A:r-1:s-2", "held"))
