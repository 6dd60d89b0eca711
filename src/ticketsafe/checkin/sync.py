"""The server side of offline gates: the bundle a device downloads, and the sync that
applies its admissions and finds tickets admitted twice.

A synced admission goes through the same once-only mark as an online scan (`admit`),
stamped with the device's time. If the ticket was used already — online, or by another
device's earlier sync — the scan is a duplicate: recorded (`checkin_duplicates`) with
both admissions, so the organizer sees which devices let whom in twice. The same device
syncing the same log again changes nothing (its admission is recognised as its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from ticketsafe.catalog.read_models import EventSalesView
from ticketsafe.checkin import repository as repo
from ticketsafe.checkin.offline import FORMAT, b64, seal_for_device
from ticketsafe.checkin.verifier import read_code
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.settings import Settings
from ticketsafe.tickets.models import Ticket, TicketStatus
from ticketsafe.tickets.service import TicketService


@dataclass(frozen=True)
class SyncedScan:
    ticket_id: str
    version: int
    gate: str
    at: datetime
    code: str  # the signed code the device scanned (its static part)


@dataclass
class SyncReport:
    accepted: int = 0
    already_synced: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # unknown, superseded


async def build_bundle(
    tickets: TicketService, settings: Settings, view: EventSalesView,
    device_id: str, device_public_key: bytes,
) -> dict[str, Any]:  # fmt: skip
    """Everything a device needs to judge this event's codes offline."""
    await tickets.keys.ensure(view.event_id, view.org_id)
    policy = await tickets.keys.policy(view.event_id)
    secrets: dict[str, list[Any]] = {}
    async for t in tickets.valid_of_event(view.event_id):
        used = t.used_at.isoformat() if t.used_at else None
        secrets[t.id] = [t.version, b64(await tickets.secret_of(t)), used, t.used_gate]
    sealed = seal_for_device(device_public_key, view.event_id, device_id, orjson.dumps(secrets))
    return {
        "format": FORMAT, "event_id": view.event_id, "device_id": device_id,
        "timezone": view.timezone, "made_at": datetime.now(UTC).isoformat(),
        "public_key": b64(await tickets.keys.public_key(view.event_id)),
        "static_codes": policy.static_codes, "window_steps": settings.checkin_window_steps,
        "revoked": await tickets.revoked_ids(view.event_id), "tickets_sealed": sealed,
    }  # fmt: skip


async def sync(
    db: Database, tickets: TicketService, event_id: str, device_id: str, scans: list[SyncedScan]
) -> SyncReport:
    report = SyncReport()
    public_key = await tickets.keys.public_key(event_id)
    for scan in scans:
        at = scan.at.replace(microsecond=scan.at.microsecond // 1000 * 1000)  # as stored
        ticket = await tickets.get(scan.ticket_id)
        if ticket is None or ticket.event_id != event_id or not _proves(scan, event_id, public_key):
            # A device can only report what it scanned: a ticket id without its signed
            # code marks nothing (a steward cannot "use up" tickets from a list).
            report.refused.append({"ticket_id": scan.ticket_id, "reason": "unknown_ticket"})
            continue
        if await tickets.admit(
            ticket.id, event_id, scan.version, gate=scan.gate, device=device_id, at=at
        ):
            report.accepted += 1
            continue
        ticket = await tickets.get(scan.ticket_id)
        assert ticket is not None
        if ticket.used_device == device_id and ticket.used_at == at:
            report.already_synced += 1
        elif ticket.used_at is not None:
            report.duplicates.append(await _duplicate(db, ticket, device_id, scan.gate, at))
        else:  # revoked or transferred before the sync, never admitted by anyone else
            reason = "revoked" if ticket.status is TicketStatus.REVOKED else "superseded"
            report.refused.append({"ticket_id": ticket.id, "reason": reason})
    return report


def _proves(scan: SyncedScan, event_id: str, public_key: bytes) -> bool:
    verdict = read_code(scan.code, event_id, public_key)
    claims = verdict.scanned.claims if verdict.admitted and verdict.scanned else None
    return claims is not None and (claims.ticket_id, claims.version) == (
        scan.ticket_id, scan.version,
    )  # fmt: skip


async def _duplicate(
    db: Database, ticket: Ticket, device: str, gate: str, at: datetime
) -> dict[str, Any]:
    doc = {
        "_id": f"{ticket.id}:{device}:{at.isoformat()}", "event_id": ticket.event_id,
        "ticket_id": ticket.id,
        "first": {"device_id": ticket.used_device, "gate": ticket.used_gate,
                  "at": ticket.used_at},
        "again": {"device_id": device, "gate": gate, "at": at},
        "found_at": datetime.now(UTC),
    }  # fmt: skip
    await repo.record_duplicate(db, doc)
    return {k: v for k, v in doc.items() if k not in ("_id", "found_at")}


async def duplicates_of(db: Database, event_id: str, limit: int) -> list[dict[str, Any]]:
    docs = await repo.duplicates_of_event(db, event_id, limit)
    return [{k: v for k, v in d.items() if k != "_id"} for d in docs]
