"""Gate check-in throughput: online scans through the real HTTP API beside /healthz of the
same server, and offline verifications (the gate device's own work) on one core.

    PYTHONPATH=. uv run python bench/checkin.py [--seconds 10] [--concurrency 128]
        [--api-processes 2] [--loaders 2] [--tickets 60000]

Starts embedded SecantusDB + Valkey and `--api-processes` `ticketsafe api` processes
(plain HTTP on loopback, one port with SO_REUSEPORT, as `bench/holds.py`), creates an
event through the catalog API, a steward's gate grant, and `--tickets` tickets through
the tickets domain (the issuance job's own insert, not a checkout per ticket: the scan
is what is measured). Every scan is a different ticket's live code, computed when sent,
so every admitted scan is a real first admission (200), as long as the run does not
use more scans than `--tickets` (warm-up included: `tickets_reused` says how many were
scanned twice, each a 409 "already used"). Each virtual client is its own gate device; the
per-device rate limit is raised for the run (a real device scans about once a second).
Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import ssl
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bench.flashsale.measure import ProcessUsage
from bench.loadgen import healthz, post_json, run_processes
from bench.servers import bench_stack
from ticketsafe.app import create_app
from ticketsafe.catalog.read_models import get_sales_view
from ticketsafe.checkin.offline import OfflineGate
from ticketsafe.checkin.sync import build_bundle
from ticketsafe.identity.models import GateGrant, MemberRole
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.crypto.keyring import load_keyring
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.tls import ensure_local_tls
from ticketsafe.tickets import codes
from ticketsafe.tickets import repository as tickets_repo
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import TicketService

SECRET = "bench-secret-" + "b" * 40
WARMUP_SCANS = 10_000
ORG, STEWARD = "org_bench", "usr_steward"


async def _event(settings: Settings) -> str:
    """A venue and an event through the catalog API (in-process), as an organizer would."""
    app = create_app(settings)
    organizer = Principal("usr_org", frozenset({Role.ORGANIZER}), (ORG,))
    async with app.router.lifespan_context(app):
        # Organizations are live membership, never a token's claim: record it first.
        services = app.state.services
        await IdentityRepository(services.db).add_member(
            ORG, "usr_org", MemberRole.OWNER, datetime.now(UTC)
        )
        headers = {"authorization": f"Bearer {services.token_codec.issue(organizer)}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            venue = await c.post(f"/organizations/{ORG}/venues", headers=headers, json={
                "name": "Arena", "city": "São Paulo", "address": "Rua 1",
                "timezone": "America/Sao_Paulo",
                "sections": [{"kind": "ga", "id": "pista", "name": "Pista", "capacity": 100}],
            })  # fmt: skip
            venue.raise_for_status()
            starts = datetime.now(UTC) + timedelta(days=1)
            event = await c.post(f"/organizations/{ORG}/events", headers=headers, json={
                "venue_id": venue.json()["id"], "name": "Bench",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
                "price_levels": [{"id": "p", "name": "Pista", "amount_minor": 100,
                                  "ga_areas": ["pista"]}],
                "ticket_types": [{"id": "full", "kind": "full", "name": "Inteira"}],
                "sales": {"on_sale_at": datetime.now(UTC).isoformat(),
                          "off_sale_at": starts.isoformat()},
            })  # fmt: skip
            event.raise_for_status()
            return str(event.json()["id"])


async def provision(settings: Settings, n: int) -> tuple[str, list[tuple[str, bytes]]]:
    """The event, the steward's grant and `n` tickets: [(static code, secret)]."""
    event_id = await _event(settings)
    res = Resources.open(settings)
    try:
        await IdentityRepository(res.db).grant_gate(
            GateGrant(ORG, event_id, STEWARD, "usr_org", datetime.now(UTC))
        )
        keyring = load_keyring(settings)
        service = TicketService(res.db, keyring)
        await service.keys.ensure(event_id, ORG)
        out: list[tuple[str, bytes]] = []
        now = datetime.now(UTC)
        for start in range(0, n, 1000):
            batch = []
            for i in range(start, min(n, start + 1000)):
                tid = f"tkt_bench{i:07d}"
                batch.append(Ticket(
                    id=tid, event_id=event_id, org_id=ORG, order_id=f"ord_bench{i // 4}",
                    line_id=f"ln_{i}", holder_id=f"usr_{i}", place="a:pista",
                    ticket_type_id="full", created_at=now,
                ))  # fmt: skip
                out.append(("", await service.keys.ticket_secret(event_id, tid, 1)))
            await tickets_repo.insert_new(res.db, batch)
            for j, ticket in enumerate(batch):
                out[start + j] = (await service.static_code(ticket), out[start + j][1])
        return event_id, out
    finally:
        await res.close()


async def offline_rate(settings: Settings, event_id: str, seconds: float) -> dict[str, Any]:
    """Verifications per second of the offline verifier (one core, no network)."""
    res = Resources.open(settings)
    try:
        view = await get_sales_view(res.db, event_id)
        device = X25519PrivateKey.generate()
        t0 = time.perf_counter()
        bundle = await build_bundle(
            TicketService(res.db, load_keyring(settings)), settings, view, "dev-bench",
            device.public_key().public_bytes_raw(),
        )  # fmt: skip
        built_s = time.perf_counter() - t0
    finally:
        await res.close()
    size = len(json.dumps(bundle))
    t0 = time.perf_counter()
    gate = OfflineGate.open(bundle, device)
    open_s = time.perf_counter() - t0
    codes_ = []
    unused = [(t, s) for t, s in gate.tickets.items() if s.used_at is None]  # not scanned online
    for ticket_id, state in unused[:50_000]:
        claims = codes.TicketClaims(ticket_id, event_id, "a:pista", "full", state.version)
        codes_.append((claims, state.secret))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    # The bundle has the public key only: sign with a throw-away key and swap it in, so
    # signatures verify (the verifier's cost does not depend on which key signed).
    signer = Ed25519PrivateKey.generate()
    gate.public_key = signer.public_key().public_bytes_raw()
    signed = [codes.sign(signer, c) for c, _ in codes_]
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds and done < len(signed):
        now = time.time()
        verdict = gate.verify(codes.live(signed[done], codes_[done][1], now), "G")
        assert verdict.admitted, verdict.message
        done += 1
    elapsed = time.perf_counter() - t0
    return {
        "verifications": done, "seconds": round(elapsed, 2),
        "per_s": round(done / elapsed, 1), "bundle_tickets": len(gate.tickets),
        "bundle_bytes": size, "bundle_build_s": round(built_s, 2),
        "bundle_open_s": round(open_s, 2),
    }  # fmt: skip


def online(
    port: int, event_id: str, tickets: list[tuple[str, bytes]], args: argparse.Namespace,
    pids: dict[str, int], *, tls: ssl.SSLContext | None,
) -> dict[str, Any]:  # fmt: skip
    token = AccessTokenCodec(SECRET, 3600).issue(Principal(STEWARD))
    next_ticket: Any = mp.Value("l", 0)

    def scan(c: int, seq: int) -> bytes:
        with next_ticket.get_lock():
            i = next_ticket.value
            next_ticket.value += 1
        code, secret = tickets[i % len(tickets)]
        body = json.dumps({
            "code": codes.live(code, secret, time.time()), "gate": f"G{c % 8}",
            "device_id": f"dev-{os.getpid()}-{c}",
        }).encode()  # fmt: skip
        key = f"k{os.getpid()}-{c}-{seq}"
        return post_json(f"/events/{event_id}/checkin/scans", body, token, key)

    # The load generators' first second is a warm-up they do not count, but its scans use
    # tickets too: leave room for it (at up to WARMUP_SCANS a second), so that no ticket is
    # scanned twice; `tickets_reused` in the report says if some were anyway.
    def measure(name: str, factory: Any) -> Any:
        return run_processes(name, port, factory, concurrency=args.concurrency,
                             duration_s=args.seconds,
                             max_requests=max(1, len(tickets) - WARMUP_SCANS),
                             processes=args.loaders, tls=tls)  # fmt: skip

    trivial = measure("GET /healthz", healthz)
    usages = [ProcessUsage(name, pid) for name, pid in pids.items()]
    for usage in usages:
        usage.sample()
    scans = measure("POST /events/{id}/checkin/scans (live codes)", scan)
    for usage in usages:
        usage.sample()
    done = len(scans.latencies_ms) or 1
    return {
        "trivial": trivial.summary(),
        "scan": scans.summary(),
        # Where a scan's CPU goes (load generators apart): ms of CPU per scan answered.
        "cpu_ms_per_scan": {
            u.name: round(1000 * (u.cpu_end - u.cpu_start) / done, 3) for u in usages
        },
        "all_admitted": set(scans.statuses) == {200},
        "tickets_reused": max(0, next_ticket.value - len(tickets)),
        "scan_vs_trivial": round(scans.rps / trivial.rps, 3) if trivial.rps else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--loaders", type=int, default=2, help="load-generator processes")
    parser.add_argument("--tickets", type=int, default=60_000)
    parser.add_argument(
        "--tls", action=argparse.BooleanOptionalAction, default=True,
        help="the api serves HTTPS (its own local CA), as a gate device reaches it",
    )  # fmt: skip
    args = parser.parse_args()
    with bench_stack(SECRET) as stack:
        settings = stack.settings(
            data_dir=stack.data, tls_enabled=False, frontend_dir=stack.data / "no-frontend"
        )
        t0 = time.perf_counter()
        event_id, tickets = asyncio.run(provision(settings, args.tickets))
        provisioned_s = time.perf_counter() - t0
        port = free_port()
        ca_file = ensure_local_tls(settings.tls_dir, ["localhost"]).ca_cert if args.tls else None
        apis = stack.start_apis(port, args.api_processes, {
            "TICKETSAFE_CHECKIN_DEVICE_SCANS_PER_S": "1000",
            "TICKETSAFE_CHECKIN_DEVICE_BURST": "1000",
            "TICKETSAFE_TLS_ENABLED": "true" if args.tls else "false",
            # With TLS the port measured is the HTTPS one; plain HTTP only redirects.
            **({"TICKETSAFE_HTTPS_PORT": str(port), "TICKETSAFE_HTTP_PORT": str(free_port())}
               if args.tls else {}),
        }, ca_file=ca_file)  # fmt: skip
        tls = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
        pids = {f"api-{i}": api.pid for i, api in enumerate(apis)}
        pids |= {c.name: pid for c in stack.stores.children if (pid := c.pid) is not None}
        report: dict[str, Any] = online(port, event_id, tickets, args, pids, tls=tls)
        stack.stop_apis()
        report["offline"] = asyncio.run(offline_rate(settings, event_id, args.seconds))
        report |= {"https": args.tls, "api_processes": args.api_processes, "loaders": args.loaders,
                   "tickets": args.tickets, "provision_s": round(provisioned_s, 1)}  # fmt: skip
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
