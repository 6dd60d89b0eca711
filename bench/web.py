"""The built web app (`web/dist`, from `make web`; this builds nothing): the first page's
JavaScript gzipped, and the Largest Contentful Paint of `/` in Debian's Chromium.

    PYTHONPATH=. uv run python bench/web.py [--runs 5]

Starts embedded SecantusDB + Valkey and a real `ticketsafe serve` (TLS off, demo data
on, a free loopback port) handing out `web/dist`, then loads `/` in a fresh Chromium
context per run (Playwright, `executable_path=/usr/bin/chromium`, no browser download).
JavaScript: every script response of the first page, gzipped here (level 9) — what a
server compressing at that level would send; the budget is 200 KiB. LCP: the last
`largest-contentful-paint` entry once the event list is on screen. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Response, async_playwright

from ticketsafe.infra.child_process import ChildProcess, free_port
from ticketsafe.infra.embedded import EmbeddedStores

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
CHROMIUM = "/usr/bin/chromium"
BUDGET_KIB = 200.0
LCP_SCRIPT = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    const last = entries[entries.length - 1];
    resolve({ ms: last.startTime, element: last.element ? last.element.tagName : null });
  }).observe({ type: 'largest-contentful-paint', buffered: true });
})"""


def start_shop(stores: EmbeddedStores, data_dir: Path) -> tuple[ChildProcess, str]:
    assert stores.mongo_url
    assert stores.redis_url
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": stores.mongo_url,
        "TICKETSAFE_REDIS_URL": stores.redis_url,
        "TICKETSAFE_MONGO_DATABASE": f"bench_web_{uuid.uuid4().hex[:8]}",
        "TICKETSAFE_TLS_ENABLED": "false",
        "TICKETSAFE_HOST": "127.0.0.1",
        "TICKETSAFE_HTTP_PORT": str(port),
        "TICKETSAFE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TICKETSAFE_DATA_DIR": str(data_dir),
        "TICKETSAFE_FRONTEND_DIR": str(DIST),
        "TICKETSAFE_DEMO_DATA": "true",
        "TICKETSAFE_LOG_LEVEL": "WARNING",
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
    return child, f"http://127.0.0.1:{port}"


async def load_once(browser: Browser, url: str) -> dict[str, Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        scripts: list[Response] = []
        page.on(
            "response", lambda r: scripts.append(r) if r.request.resource_type == "script" else None
        )
        started = time.perf_counter()
        await page.goto(url + "/", wait_until="load")
        await page.get_by_role("link", name="Demo").first.wait_for(timeout=30_000)
        shown_ms = (time.perf_counter() - started) * 1000
        await page.wait_for_timeout(500)  # let a late, larger paint be recorded
        lcp = await page.evaluate(LCP_SCRIPT)
        bodies = [await r.body() for r in scripts]
        return {
            "lcp_ms": round(lcp["ms"], 1),
            "lcp_element": lcp["element"],
            "events_shown_ms": round(shown_ms, 1),
            "js_files": len(bodies),
            "js_raw_kib": round(sum(len(b) for b in bodies) / 1024, 1),
            "js_gzip_kib": round(sum(len(gzip.compress(b, 9)) for b in bodies) / 1024, 1),
        }
    finally:
        await context.close()


async def measure(url: str, runs: int) -> list[dict[str, Any]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            await load_once(browser, url)  # warm the server (first request, demo caches)
            return [await load_once(browser, url) for _ in range(runs)]
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        sys.exit("build the web app first: make web")
    if not Path(CHROMIUM).is_file():
        sys.exit("install Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        stores = EmbeddedStores(data / "stores")
        stores.start()
        shop: ChildProcess | None = None
        try:
            shop, url = start_shop(stores, data / "shop")
            samples = asyncio.run(measure(url, args.runs))
        finally:
            if shop is not None:
                shop.stop()
            stores.stop()
    lcp = [s["lcp_ms"] for s in samples]
    js_gzip_kib = max(s["js_gzip_kib"] for s in samples)
    report = {
        "runs": args.runs,
        "first_page_js_gzip_kib": js_gzip_kib,
        "first_page_js_raw_kib": max(s["js_raw_kib"] for s in samples),
        "first_page_js_files": max(s["js_files"] for s in samples),
        "js_budget_kib": BUDGET_KIB,
        "js_within_budget": js_gzip_kib <= BUDGET_KIB,
        "lcp_ms": {"min": min(lcp), "median": statistics.median(lcp), "max": max(lcp)},
        "lcp_element": samples[-1]["lcp_element"],
        "events_shown_ms_median": statistics.median(s["events_shown_ms"] for s in samples),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
