"""Offline gates: bundles sealed per device, verification without a network, the CLI,
and the sync that finds tickets admitted twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from typer.testing import CliRunner

from tests.checkin.conftest import Gate
from tests.orders.conftest import run_jobs
from ticketsafe.checkin.offline import BundleUnreadable, OfflineGate, b64
from ticketsafe.cli import cli

SEATS = {"kind": "seats", "seat_ids": ["A:r-1:s-1", "A:r-1:s-2"]}


async def bundle_for(gate: Gate, device: str, key: X25519PrivateKey) -> dict[str, Any]:
    r = await gate.sale.client.post(
        f"/events/{gate.sale.event_id}/checkin/bundles",
        json={"device_id": device, "device_public_key": b64(key.public_key().public_bytes_raw())},
        headers=gate.steward,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def sync(gate: Gate, device: str, scans: list[dict[str, Any]]) -> dict[str, Any]:
    r = await gate.sale.client.post(
        f"/events/{gate.sale.event_id}/checkin/sync",
        json={"device_id": device, "scans": scans}, headers=gate.steward,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_offline_scans_synced_with_a_duplicate_detected(gate: Gate) -> None:
    t1, t2 = await gate.tickets("usr_1", SEATS)
    keys = {d: X25519PrivateKey.generate() for d in ("dev-a", "dev-b")}
    gates = {d: OfflineGate.open(await bundle_for(gate, d, k), k) for d, k in keys.items()}
    a, b = gates["dev-a"], gates["dev-b"]
    assert a.verify(t1["live_code"], "North").admitted
    assert a.verify(t1["live_code"], "North").reason == "already_used"  # its own log
    assert b.verify(t1["live_code"], "South").admitted  # B cannot know: no network
    assert b.verify(t2["code"], "South").admitted
    first = await sync(gate, "dev-a", a.admitted)
    assert (first["accepted"], first["duplicates"]) == (1, [])
    second = await sync(gate, "dev-b", b.admitted)
    assert second["accepted"] == 1  # t2
    [dup] = second["duplicates"]
    assert dup["ticket_id"] == t1["id"]
    assert (dup["first"]["device_id"], dup["first"]["gate"]) == ("dev-a", "North")
    assert (dup["again"]["device_id"], dup["again"]["gate"]) == ("dev-b", "South")
    again = await sync(gate, "dev-b", b.admitted)  # a retried sync changes nothing
    assert (again["accepted"], again["already_synced"], len(again["duplicates"])) == (0, 1, 1)
    listed = await gate.sale.client.get(
        f"/orgs/org_a/events/{gate.sale.event_id}/checkin/duplicates",
        headers=gate.sale.organizer,
    )
    assert [d["ticket_id"] for d in listed.json()] == [t1["id"]]
    online = await gate.scan(t1["live_code"], gate="East")
    assert (online.status_code, online.json()["used_gate"]) == (409, "North")
    stats = await gate.sale.client.get(
        f"/orgs/org_a/events/{gate.sale.event_id}/checkin/stats", headers=gate.sale.organizer
    )
    assert stats.json()["per_gate"] == {"North": 1, "South": 1}
    assert sum(stats.json()["per_slot"].values()) == 2


async def test_a_bundle_opens_only_with_its_devices_key(gate: Gate) -> None:
    await gate.tickets("usr_1", SEATS)
    bundle = await bundle_for(gate, "dev-a", X25519PrivateKey.generate())
    with pytest.raises(BundleUnreadable):
        OfflineGate.open(bundle, X25519PrivateKey.generate())
    with pytest.raises(BundleUnreadable):  # the same bundle renamed to another device
        OfflineGate.open({**bundle, "device_id": "dev-b"}, X25519PrivateKey.generate())


async def test_the_bundle_knows_revocations_and_online_admissions(gate: Gate) -> None:
    t1, t2 = await gate.tickets("usr_1", SEATS)
    r = await gate.sale.client.post(
        f"/orgs/org_a/orders/{t1['order_id']}/refund",
        json={"line_ids": [await _line_of(gate, t1)], "reason": "x"}, headers=gate.sale.organizer,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    await run_jobs(gate.worker)
    assert (await gate.scan(t2["live_code"], gate="Main")).status_code == 200
    key = X25519PrivateKey.generate()
    offline = OfflineGate.open(await bundle_for(gate, "dev-a", key), key)
    assert offline.verify(t1["live_code"], "N").reason == "revoked"
    assert offline.verify(t2["live_code"], "N").reason == "already_used"


async def test_the_gate_cli_verifies_offline(gate: Gate, tmp_path: Path) -> None:
    [ticket] = await gate.tickets("usr_1", {"kind": "seats", "seat_ids": ["A:r-2:s-1"]})
    runner = CliRunner()
    key_file, log = tmp_path / "device.key", tmp_path / "scans.jsonl"
    made = runner.invoke(cli, ["gate", "keygen", "--out", str(key_file)])
    assert made.exit_code == 0, made.output
    r = await gate.sale.client.post(
        f"/events/{gate.sale.event_id}/checkin/bundles",
        json={"device_id": "dev-cli", "device_public_key": made.output.strip()},
        headers=gate.steward,
    )
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(r.content)
    args = ["gate", "verify", "--bundle", str(bundle), "--key", str(key_file), "--log", str(log)]
    first = runner.invoke(cli, [*args, "--gate", "West", ticket["live_code"]])
    assert first.exit_code == 0, first.output
    assert orjson.loads(first.output)["kind"] == "live"
    second = runner.invoke(cli, [*args, ticket["live_code"]])
    assert (second.exit_code, orjson.loads(second.output)["reason"]) == (1, "already_used")
    forged = runner.invoke(cli, [*args, ticket["code"][:-4] + "AAAA"])
    assert (forged.exit_code, orjson.loads(forged.output)["reason"]) == (1, "not_ticketsafe_code")
    logged = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    synced = await sync(gate, "dev-cli", logged)
    assert synced["accepted"] == 1
    other_key = tmp_path / "other.key"
    runner.invoke(cli, ["gate", "keygen", "--out", str(other_key)])
    wrong = runner.invoke(cli, [*args[:4], "--key", str(other_key), ticket["live_code"]])
    assert wrong.exit_code == 2


async def _line_of(gate: Gate, ticket: dict[str, Any]) -> str:
    r = await gate.sale.client.get(
        f"/orders/{ticket['order_id']}", headers=gate.sale.buyer("usr_1")
    )
    seat = ticket["place"].removeprefix("s:")
    return str(next(line["line_id"] for line in r.json()["lines"] if line["seat_id"] == seat))


async def test_a_sync_cannot_use_up_a_ticket_it_never_scanned(gate: Gate) -> None:
    t1, t2 = await gate.tickets("usr_1", SEATS)
    made_up = {"ticket_id": t1["id"], "version": 1, "gate": "X", "at": "2026-01-01T20:00:00Z"}
    bad = [{**made_up, "code": t2["code"]}, {**made_up, "code": "TS1.AAAA.BBBB"}]
    report = await sync(gate, "dev-x", bad)
    assert report["accepted"] == 0
    assert [r["reason"] for r in report["refused"]] == ["unknown_ticket"] * 2
    assert (await gate.scan(t1["live_code"])).status_code == 200  # still unused
