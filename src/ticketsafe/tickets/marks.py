"""The "used" marks of scans: an append-only journal of admissions, group-committed.

Where and when a ticket was admitted lives in `ticket_admissions`, one document per
admitted ticket whose `_id` is the ticket id: the primary key is the once-only rule (a
second admission of one ticket is a duplicate key, however many gates or api processes
race). Not in the ticket's own document: on the embedded MongoDB-wire server a guarded
update cost ~30 times an inserted document (measured on a loaded machine: 50-120
updates/s alone, in a bulk or in a transaction, against ~2,800 documents/s inserted by
one `insert_many`), so a gate rush paid one slow update per scan. The inserts go out
group-committed (`infra.mongo_group.group_insert`: one `insert_many` at a time per
collection carrying every scan that arrived meanwhile, each duplicate reported to its
own caller).

A mark holds only for a ticket still valid at the scanned version. After its insert
the scan reads the ticket (`group_get`, batched the same way); an admission whose
ticket was revoked, transferred or marked by the older in-document path is deleted
again, and that scan lost. A transfer writes the ticket first and reads the journal
after (`repository.transfer`): of a scan and a transfer at the same instant at least
one sees the other, so never both win (at worst both step back: the steward scans
again). A refund that lands after the scan's read revoked an admitted ticket, as a
refund after the gate would.

A scan may carry its device's own id for it (`retry_key`), kept on the admission: a
retry whose answer was lost finds its own earlier admission (`earlier_try`) and is
answered as admitted again, never "already used" by itself. Only the same key from the
same device matches, so another phone showing the same code is still refused.

Readers see the marks through `with_admission`: a ticket's `used_*` fields are its
admission's (or, for tickets marked before the journal, the document's own).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from ticketsafe.infra.mongo_group import group_get, group_insert
from ticketsafe.infra.mongodb import Database
from ticketsafe.tickets.models import TicketStatus

ADMISSIONS = "ticket_admissions"
_USED = ("used_at", "used_gate", "used_device")
_CHECKED = ("status", "version", "used_at")  # what a mark reads of the ticket


async def mark_used(
    db: Database, tickets: str, ticket_id: str, event_id: str, version: int, *,
    gate: str, device: str, at: datetime, retry_key: str | None = None,
) -> bool:  # fmt: skip
    """True if this scan admitted the ticket (valid at `version`, never admitted)."""
    scan = secrets.token_hex(8)
    doc = {"_id": ticket_id, "event_id": event_id, "version": version, "used_at": at,
           "used_gate": gate, "used_device": device, "scan": scan}  # fmt: skip
    if retry_key is not None:
        doc["retry_key"] = retry_key
    if await group_insert(db, ADMISSIONS).insert([doc]):
        return False  # admitted before (the duplicate key)
    ticket = await group_get(db, tickets, _CHECKED).get(ticket_id)  # after the insert: see above
    if (
        ticket is not None
        and ticket.get("status") == TicketStatus.VALID.value
        and ticket.get("version") == version
        and ticket.get("used_at") is None
    ):
        return True
    await db[ADMISSIONS].delete_one({"_id": ticket_id, "scan": scan})
    return False


async def earlier_try(
    db: Database, ticket_id: str, device: str, retry_key: str
) -> tuple[datetime, str] | None:
    """(used at, gate) of the ticket's admission if `device` made it under `retry_key`."""
    doc = await db[ADMISSIONS].find_one(
        {"_id": ticket_id, "used_device": device, "retry_key": retry_key},
        {"used_at": 1, "used_gate": 1},
    )
    return (doc["used_at"], doc["used_gate"]) if doc is not None else None


async def admitted(db: Database, ticket_id: str) -> bool:
    return await db[ADMISSIONS].find_one({"_id": ticket_id}, {"_id": 1}) is not None


async def with_admissions(db: Database, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ticket documents with their admissions' `used_*` fields (one read)."""
    if not docs:
        return docs
    ids = [d["_id"] for d in docs]
    cursor = db[ADMISSIONS].find({"_id": {"$in": ids}})
    found = {a["_id"]: a async for a in cursor}
    return [with_admission(d, found.get(d["_id"])) for d in docs]


def with_admission(doc: dict[str, Any], admission: dict[str, Any] | None) -> dict[str, Any]:
    if admission is None:
        return doc
    return doc | {field: admission.get(field) for field in _USED}


async def of_event(db: Database, event_id: str) -> dict[str, dict[str, Any]]:
    """Every admission of the event, by ticket id."""
    cursor = db[ADMISSIONS].find({"event_id": event_id}, batch_size=5000)
    return {a["_id"]: a async for a in cursor}


async def indexes(db: Database) -> None:
    await db[ADMISSIONS].create_index([("event_id", ASCENDING)], name="event")
