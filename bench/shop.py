"""A real TicketSafe shop for a browser: `ticketsafe serve` (API + worker + the built web
app `web/dist`, demo data on, TLS off, a free loopback port) against given stores, and
Debian's Chromium launched by Playwright. The web benchmark and the web tests share it."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Playwright

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
CHROMIUM = "/usr/bin/chromium"


def start_shop(
    stores: EmbeddedStores, data_dir: Path, database: str, env_extra: dict[str, str] | None = None
) -> tuple[ChildProcess, str]:
    """The running shop and its base URL, once its demo data is seeded."""
    assert stores.mongo_url
    assert stores.redis_url
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": stores.mongo_url,
        "TICKETSAFE_REDIS_URL": stores.redis_url,
        "TICKETSAFE_MONGO_DATABASE": database,
        "TICKETSAFE_TLS_ENABLED": "false",
        "TICKETSAFE_HOST": "127.0.0.1",
        "TICKETSAFE_HTTP_PORT": str(port),
        "TICKETSAFE_PUBLIC_URL": url,
        "TICKETSAFE_PUBLIC_BASE_URL": url,  # links in e-mails
        "TICKETSAFE_DATA_DIR": str(data_dir),
        "TICKETSAFE_FRONTEND_DIR": str(DIST),
        "TICKETSAFE_DEMO_DATA": "true",
        **(env_extra or {}),
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
            if time.monotonic() > deadline:
                raise RuntimeError(f"no demo data; see {child.log_file}")
            time.sleep(0.1)
    except BaseException:
        child.stop()
        raise
    return child, url


@asynccontextmanager
async def launch_chromium(playwright: Playwright) -> AsyncIterator[Browser]:
    """Debian's Chromium (no browser download), headless, closed on exit."""
    browser = await playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run"],
    )  # fmt: skip
    try:
        yield browser
    finally:
        await browser.close()
