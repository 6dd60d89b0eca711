"""A real TicketSafe (`ticketsafe serve`: API + worker + the built web app, demo data on)
against the session's MongoDB-wire and Redis servers, and Debian's Chromium driven by
Playwright. Screenshots go to `test-artifacts/web/` (ignored by git)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class Shop:
    url: str
    data_dir: Path

    def demo_login(self, role: str) -> tuple[str, str]:
        for login in json.loads((self.data_dir / "demo-logins.json").read_text()):
            if login["role"] == role:
                return login["email"], login["password"]
        raise KeyError(role)


@pytest.fixture(scope="module")
def shop(stores: EmbeddedStores, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    assert (DIST / "index.html").is_file(), "build the web app first: make web"
    assert stores.mongo_url
    assert stores.redis_url
    port = free_port()
    data_dir = tmp_path_factory.mktemp("shop")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": stores.mongo_url,
        "TICKETSAFE_REDIS_URL": stores.redis_url,
        "TICKETSAFE_MONGO_DATABASE": f"test_web_{uuid.uuid4().hex[:8]}",
        "TICKETSAFE_TLS_ENABLED": "false",
        "TICKETSAFE_HOST": "127.0.0.1",
        "TICKETSAFE_HTTP_PORT": str(port),
        "TICKETSAFE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TICKETSAFE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",  # links in e-mails
        "TICKETSAFE_DATA_DIR": str(data_dir),
        "TICKETSAFE_FRONTEND_DIR": str(DIST),
        "TICKETSAFE_DEMO_DATA": "true",
    }
    child = ChildProcess(
        "shop", [sys.executable, "-m", "ticketsafe", "serve"], data_dir / "run", env
    )
    child.start()
    try:
        child.wait_for_port("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 60
        while not (data_dir / "demo-logins.json").is_file():  # the demo is seeded
            child.check_running()
            assert time.monotonic() < deadline, f"no demo data; see {child.log_file}"
            time.sleep(0.1)
        yield Shop(f"http://127.0.0.1:{port}", data_dir)
    finally:
        child.stop()


@pytest.fixture
def chromium() -> str:
    assert Path(CHROMIUM).is_file(), "install Debian's chromium (apt-get install chromium)"
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def event_id_named(shop: Shop, prefix: str) -> str:
    events = httpx.get(f"{shop.url}/events", timeout=10).json()["items"]
    return next(str(e["id"]) for e in events if e["name"].startswith(prefix))
