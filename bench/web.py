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
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Response, async_playwright

from bench.shop import CHROMIUM, DIST, launch_chromium, start_shop
from ticketsafe.infra.child_process import ChildProcess
from ticketsafe.infra.embedded import EmbeddedStores

BUDGET_KIB = 200.0
LCP_SCRIPT = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    const last = entries[entries.length - 1];
    resolve({ ms: last.startTime, element: last.element ? last.element.tagName : null });
  }).observe({ type: 'largest-contentful-paint', buffered: true });
})"""


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
    async with async_playwright() as playwright, launch_chromium(playwright) as browser:
        await load_once(browser, url)  # warm the server (first request, demo caches)
        return [await load_once(browser, url) for _ in range(runs)]


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
            database = f"bench_web_{uuid.uuid4().hex[:8]}"
            shop, url = start_shop(
                stores, data / "shop", database, {"TICKETSAFE_LOG_LEVEL": "WARNING"}
            )
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
