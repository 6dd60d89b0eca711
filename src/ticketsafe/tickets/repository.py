"""MongoDB access for tickets (collections `tickets`, `ticket_events`, `ticket_marks`,
`ticket_transfers`, and the admissions journal `ticket_admissions`, see `tickets.marks`:
every ticket read here carries its admission's `used_*` fields)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database
from ticketsafe.orders.models import Order
from ticketsafe.tickets import marks
from ticketsafe.tickets.models import Ticket, TicketStatus, ticket_id_for

TICKETS = "tickets"
EVENTS = "ticket_events"  # per event: signing key pair (private sealed) and code policy
ISSUANCES = "ticket_issuances"  # dropped: an order's tickets say it was issued
MARKS = "ticket_marks"  # where the reconciliation's walk stands
TRANSFERS = "ticket_transfers"  # offers by e-mail (blind index of the address)
_DUPLICATE_KEY = 11000


def _model(doc: dict[str, Any]) -> Ticket:
    return Ticket(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def _doc(ticket: Ticket) -> dict[str, Any]:
    doc = ticket.model_dump(exclude={"id"})
    doc["_id"] = ticket.id
    return doc


async def insert_new(db: Database, tickets: list[Ticket]) -> int:
    """Insert the tickets not issued yet; those whose id exists already are kept as they
    are (a job run twice issues nothing twice). Returns how many were new."""
    if not tickets:
        return 0
    try:
        result = await db[TICKETS].insert_many([_doc(t) for t in tickets], ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != _DUPLICATE_KEY for e in errors):
            raise
        return int(exc.details.get("nInserted", 0))
    return len(result.inserted_ids)


async def get(db: Database, ticket_id: str) -> Ticket | None:
    doc, admission = await asyncio.gather(
        db[TICKETS].find_one({"_id": ticket_id}),
        db[marks.ADMISSIONS].find_one({"_id": ticket_id}),
    )
    return _model(marks.with_admission(doc, admission)) if doc else None


async def by_ids(db: Database, ticket_ids: list[str]) -> list[Ticket]:
    """Tickets by id, in id order. An order's tickets are found by the ids its lines
    derive (`ticket_id_for`), not through an index on `order_id`: on the embedded
    server every secondary index costs each write of the collection (issuing, and the
    "used" mark of every scan)."""
    cursor = db[TICKETS].find({"_id": {"$in": ticket_ids}}).sort("_id", ASCENDING)
    return [_model(d) for d in await marks.with_admissions(db, [d async for d in cursor])]


async def page(
    db: Database, query: dict[str, Any], after_id: str | None, limit: int
) -> list[Ticket]:
    """One page in id order (a stable cursor: ids are unique, so paging never skips)."""
    if after_id is not None:
        query = {**query, "_id": {"$gt": after_id}}
    cursor = db[TICKETS].find(query).sort("_id", ASCENDING).limit(limit)
    return [_model(d) for d in await marks.with_admissions(db, [d async for d in cursor])]


async def valid_of_event(db: Database, event_id: str) -> AsyncIterator[Ticket]:
    """Every valid ticket of the event, streamed in one query: paging it by id cost a
    scan per page on the embedded server (a 1,000-ticket page took seconds at 30,000).
    The event's admissions are read first, in one query too."""
    admissions = await marks.of_event(db, event_id)
    cursor = db[TICKETS].find(
        {"event_id": event_id, "status": TicketStatus.VALID.value}, batch_size=2000
    )
    async for doc in cursor:
        yield _model(marks.with_admission(doc, admissions.get(doc["_id"])))


async def revoke(db: Database, ticket_ids: list[str], at: datetime) -> int:
    result = await db[TICKETS].update_many(
        {"_id": {"$in": ticket_ids}, "status": TicketStatus.VALID.value},
        {"$set": {"status": TicketStatus.REVOKED.value, "revoked_at": at}},
    )
    return int(result.modified_count)


async def mark_used(
    db: Database, ticket_id: str, event_id: str, version: int, *, gate: str, device: str,
    at: datetime, retry_key: str | None = None,
) -> bool:  # fmt: skip
    """The once-only admission: the journal's primary key lets one scan win (a second
    gate scanning at the same instant gets the duplicate key and learns it lost); sent
    with the other scans of the moment (`tickets.marks`)."""
    return await marks.mark_used(
        db, TICKETS, ticket_id, event_id, version, gate=gate, device=device, at=at,
        retry_key=retry_key,
    )  # fmt: skip


async def earlier_try(
    db: Database, ticket_id: str, device: str, retry_key: str
) -> tuple[datetime, str] | None:
    return await marks.earlier_try(db, ticket_id, device, retry_key)


async def transfer(db: Database, ticket: Ticket, holder_id: str) -> bool:
    """New holder and version (so a new live-code secret), only if nobody changed or
    used it meanwhile. The write comes first and the admissions journal is read after
    it (`tickets.marks`): a scan admitted meanwhile undoes the transfer."""
    moved = {"_id": ticket.id, "version": ticket.version + 1, "holder_id": holder_id}
    result = await db[TICKETS].update_one(
        {"_id": ticket.id, "version": ticket.version, "status": TicketStatus.VALID.value,
         "used_at": None},
        {"$set": {"holder_id": holder_id, "version": ticket.version + 1,
                  "transfers": ticket.transfers + 1}},
    )  # fmt: skip
    if result.modified_count != 1:
        return False
    if await marks.admitted(db, ticket.id):
        await db[TICKETS].update_one(moved, {"$set": {
            "holder_id": ticket.holder_id, "version": ticket.version,
            "transfers": ticket.transfers,
        }})  # fmt: skip
        return False
    return True


async def revoked_of_event(db: Database, event_id: str) -> list[str]:
    cursor = db[TICKETS].find(
        {"event_id": event_id, "status": TicketStatus.REVOKED.value}, {"_id": 1}
    )
    return [str(d["_id"]) async for d in cursor]


async def admissions_of_event(db: Database, event_id: str) -> list[tuple[str, datetime]]:
    """(gate, time) of every admitted ticket of the event: the journal's, and those of
    tickets marked in their own document before it."""
    admissions = await marks.of_event(db, event_id)
    cursor = db[TICKETS].find(
        {"event_id": event_id, "used_at": {"$ne": None}}, {"used_gate": 1, "used_at": 1}
    )
    older = [(str(d.get("used_gate")), d["used_at"]) async for d in cursor]
    return older + [(str(a.get("used_gate")), a["used_at"]) for a in admissions.values()]


async def event_doc(db: Database, event_id: str) -> dict[str, Any] | None:
    return await db[EVENTS].find_one({"_id": event_id})


async def insert_event_doc(db: Database, doc: dict[str, Any]) -> bool:
    try:
        await db[EVENTS].insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


async def set_event_policy(db: Database, event_id: str, fields: dict[str, Any]) -> None:
    await db[EVENTS].update_one({"_id": event_id}, {"$set": fields})


async def issued_among(db: Database, orders: list[Order]) -> set[str]:
    """The ids of these orders that have tickets: a ticket's id is derived from its
    order and line (`ticket_id_for`), so one read by primary key answers for all."""
    wanted = {ticket_id_for(o.id, line.line_id): o.id for o in orders for line in o.lines}
    cursor = db[TICKETS].find({"_id": {"$in": list(wanted)}}, {"_id": 1})
    return {wanted[str(d["_id"])] async for d in cursor}


async def mark(db: Database, name: str) -> dict[str, Any] | None:
    return await db[MARKS].find_one({"_id": name})


async def set_mark(db: Database, name: str, fields: dict[str, Any]) -> None:
    await db[MARKS].update_one({"_id": name}, {"$set": fields}, upsert=True)


async def insert_transfer(db: Database, doc: dict[str, Any]) -> None:
    await db[TRANSFERS].insert_one(doc)


async def transfer_offer(db: Database, transfer_id: str) -> dict[str, Any] | None:
    return await db[TRANSFERS].find_one({"_id": transfer_id})


async def close_transfer(db: Database, transfer_id: str, to_id: str, at: datetime) -> None:
    await db[TRANSFERS].update_one(
        {"_id": transfer_id, "status": "pending"},
        {"$set": {"status": "accepted", "to_id": to_id, "accepted_at": at}},
    )


async def _indexes(db: Database) -> None:
    tickets = db[TICKETS]
    await tickets.create_index([("holder_id", ASCENDING), ("_id", ASCENDING)], name="holder")
    await tickets.create_index(
        [("event_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)], name="event"
    )


async def _transfer_indexes(db: Database) -> None:
    await db[TRANSFERS].create_index([("ticket_id", ASCENDING)], name="ticket")


async def _drop_issuances(db: Database) -> None:
    """An order's tickets say it was issued (their ids derive from it) and its e-mail's
    id says it was mailed: the record per order written twice for that goes."""
    await db.drop_collection(ISSUANCES)


MIGRATIONS = [
    Migration(600, "tickets indexes", _indexes),
    Migration(601, "ticket transfers index", _transfer_indexes),
    Migration(602, "ticket admissions index", marks.indexes),
    Migration(603, "tickets: no issuance records", _drop_issuances),
]
