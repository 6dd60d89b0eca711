"""Import an 80,000-seat venue through the HTTP API against the real embedded stores.

    uv run python bench/venue_import.py [--seats 80000] [--repeat 3]

Starts SecantusDB (durable: --sync-on-commit, as `serve` runs it) and Valkey on free
loopback ports in a temporary directory, runs the FastAPI app in-process over ASGI (its
lifespan included: migrations, clients), and times, per repeat:
  - POST /organizations/{org}/venues   (JSON import: parse, validate, store)
  - GET  /venues/{id}/layout           (JSON export)
  - PUT  /venues/{id}/seats.csv        (CSV re-import of every seat)
  - read_models.event_layout           (what inventory loads to seed an event)
  - store_only: venue_repository.write_layout_chunks of the same 80,000 seats (the
    MongoDB part of the import alone: ~40 chunk documents in one insert_many)
Prints one line per step and a JSON summary. Timings include the client's side of the
request (httpx serialising the body), not the network (ASGI, no sockets). Besides wall
time, `import_json_cpu` is this process's CPU time for the import (client + app, not
the database server), which the load of other processes on the machine disturbs less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from ticketsafe.app import create_app
from ticketsafe.catalog.read_models import event_layout
from ticketsafe.catalog.venues import repository as venue_repository
from ticketsafe.catalog.venues.schemas import VenueDocument
from ticketsafe.identity.models import MemberRole
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.settings import Settings

ORG = "org_bench"


def big_venue(seats: int, per_row: int = 40, rows_per_section: int = 50) -> dict[str, Any]:
    sections: list[dict[str, Any]] = []
    made = 0
    s = 0
    while made < seats:
        rows = []
        for r in range(rows_per_section):
            if made >= seats:
                break
            n = min(per_row, seats - made)
            rows.append(
                {
                    "label": str(r + 1),
                    "seats": [
                        {
                            "label": str(k + 1),
                            "x": float(k + (s % 10) * (per_row + 5)),
                            "y": float(r + (s // 10) * (rows_per_section + 5)),
                            "category": "vip" if r < 5 else "standard",
                            **({"accessibility": ["wheelchair"]} if k == 0 else {}),
                        }
                        for k in range(n)
                    ],
                }
            )
            made += n
        sections.append({"kind": "reserved", "id": f"S{s:03d}", "name": f"Setor {s}", "rows": rows})
        s += 1
    sections.append({"kind": "ga", "id": "pista", "name": "Pista", "capacity": 20_000})
    return {"name": "Estádio Bench", "city": "São Paulo", "sections": sections}


async def run(seats: int, repeat: int, data_dir: Path) -> dict[str, Any]:
    stores = EmbeddedStores(data_dir, durable=True)
    stores.start()
    try:
        assert stores.mongo_url
        assert stores.redis_url
        settings = Settings(
            mongo_url=SecretStr(stores.mongo_url),
            redis_url=SecretStr(stores.redis_url),
            mongo_database="bench",
            auth_secret=SecretStr("bench-secret-" + "x" * 40),
            data_dir=data_dir / "app",
            tls_enabled=False,
            frontend_dir=data_dir / "no-frontend",
        )
        app = create_app(settings)
        body = big_venue(seats)
        parsed = VenueDocument.model_validate(body)
        results: dict[str, list[float]] = {
            k: []
            for k in (
                "import_json",
                "import_json_cpu",
                "export_json",
                "import_csv",
                "event_layout",
                "store_only",
            )
        }
        async with app.router.lifespan_context(app):
            # Organizations are live membership, never a token's claim: record it first.
            services = app.state.services
            await IdentityRepository(services.db).add_member(
                ORG, "usr_bench", MemberRole.OWNER, datetime.now(UTC)
            )
            token = services.token_codec.issue(
                Principal("usr_bench", frozenset({Role.ORGANIZER}), (ORG,))
            )
            headers = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", timeout=300
            ) as c:
                for i in range(repeat):
                    t0, c0 = time.perf_counter(), time.process_time()
                    r = await c.post(f"/organizations/{ORG}/venues", json=body, headers=headers)
                    results["import_json"].append(time.perf_counter() - t0)
                    results["import_json_cpu"].append(time.process_time() - c0)
                    assert r.status_code == 201, r.text[:500]
                    venue = r.json()
                    assert venue["seat_count"] == seats
                    t0 = time.perf_counter()
                    exported = await c.get(f"/venues/{venue['id']}/layout", headers=headers)
                    results["export_json"].append(time.perf_counter() - t0)
                    assert exported.status_code == 200
                    csv_text = (
                        await c.get(f"/venues/{venue['id']}/seats.csv", headers=headers)
                    ).text
                    t0 = time.perf_counter()
                    r = await c.put(
                        f"/venues/{venue['id']}/seats.csv",
                        content=csv_text,
                        headers={**headers, "Content-Type": "text/csv"},
                    )
                    results["import_csv"].append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text[:500]
                    starts = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=i)
                    r = await c.post(
                        f"/organizations/{ORG}/events",
                        json={
                            "venue_id": venue["id"],
                            "name": f"Bench {i}",
                            "starts_at": starts.isoformat(),
                            "ends_at": (starts + timedelta(hours=3)).isoformat(),
                            "price_levels": [
                                {
                                    "id": "vip",
                                    "name": "VIP",
                                    "amount_minor": 50000,
                                    "seat_categories": ["vip"],
                                },
                                {
                                    "id": "std",
                                    "name": "Std",
                                    "amount_minor": 20000,
                                    "seat_categories": ["standard"],
                                },
                            ],
                        },
                        headers=headers,
                    )
                    assert r.status_code == 201, r.text[:500]
                    t0 = time.perf_counter()
                    layout = await event_layout(app.state.resources.db, r.json()["id"])
                    results["event_layout"].append(time.perf_counter() - t0)
                    assert len(layout.seats) == seats
                    db = app.state.resources.db
                    t0 = time.perf_counter()
                    await venue_repository.write_layout_chunks(
                        db, "ven_bench", f"lay_{i}", parsed.sections
                    )
                    results["store_only"].append(time.perf_counter() - t0)
                    print(
                        f"run {i + 1}: import_json {results['import_json'][-1]:.2f}s  "
                        f"export_json {results['export_json'][-1]:.2f}s  "
                        f"import_csv {results['import_csv'][-1]:.2f}s  "
                        f"event_layout {results['event_layout'][-1]:.2f}s  "
                        f"store_only {results['store_only'][-1]:.2f}s  "
                        f"(import cpu {results['import_json_cpu'][-1]:.2f}s)",
                        flush=True,
                    )
        return {
            "seats": seats,
            "repeat": repeat,
            **{f"{k}_median_s": round(statistics.median(v), 3) for k, v in results.items()},
            **{f"{k}_max_s": round(max(v), 3) for k, v in results.items()},
        }
    finally:
        stores.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seats", type=int, default=80_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ts-bench-") as tmp:
        summary = asyncio.run(run(args.seats, args.repeat, Path(tmp)))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
