"""A real TicketSafe (`ticketsafe serve`: API + worker + the built web app, demo data on)
against the session's MongoDB-wire and Redis servers, and Debian's Chromium driven by
Playwright. Screenshots go to `test-artifacts/web/` (ignored by git)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from bench.shop import CHROMIUM, DIST, ROOT, launch_chromium, start_shop
from playwright.async_api import Browser, async_playwright

from ticketsafe.infra.embedded import EmbeddedStores

ARTIFACTS = ROOT / "test-artifacts" / "web"


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
    data_dir = tmp_path_factory.mktemp("shop")
    child, url = start_shop(stores, data_dir, f"test_web_{uuid.uuid4().hex[:8]}")
    try:
        yield Shop(url, data_dir)
    finally:
        child.stop()


@pytest.fixture
def chromium() -> str:
    assert Path(CHROMIUM).is_file(), "install Debian's chromium (apt-get install chromium)"
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright, launch_chromium(playwright) as browser:
        yield browser


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def event_id_named(shop: Shop, prefix: str) -> str:
    events = httpx.get(f"{shop.url}/events", timeout=10).json()["items"]
    return next(str(e["id"]) for e in events if e["name"].startswith(prefix))
