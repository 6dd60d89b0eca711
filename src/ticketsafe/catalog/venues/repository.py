"""Venue storage, shaped for a server that does ~1,000 single writes per second.

`venues` holds one document per venue: details plus a summary of its sections, and the
`layout_version` in force. The seats live in `venue_seat_chunks`: consecutive rows of one
section packed into a document of at most ~`CHUNK_SEATS` seats, each seat a compact array
`[label, x, y, category, accessibility, blocked]`. An 80,000-seat venue is ~40 documents
written with one `insert_many`, instead of 80,000 single writes.

Every layout written gets a fresh random `layout_id`. A layout is replaced by writing the
new chunks first, then pointing the venue at them with a guarded `update_one` (the old
`layout_version` must still be current), and only then deleting the old layout's chunks
(that one id only, so a concurrent writer's chunks are never touched; the loser of a race
deletes its own). Readers always follow the venue's `layout_id`, so they see either the
whole old or the whole new seat map, never a mixture.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from ticketsafe.catalog.venues.schemas import (
    Accessibility,
    GeneralAdmissionIn,
    ReservedSectionIn,
    RowIn,
    SeatIn,
    SectionIn,
    SectionSummary,
    Venue,
)
from ticketsafe.infra.migrations import Migration, ensure_collection
from ticketsafe.infra.mongodb import Database, Document
from ticketsafe.infra.pagination import Page, keyset_page

VENUES = "venues"
CHUNKS = "venue_seat_chunks"
CHUNK_SEATS = 2_000

StoredSeat = list[Any]  # [label, x, y, category, [accessibility...], blocked]


@dataclass(frozen=True, slots=True)
class StoredRow:
    section_id: str
    label: str
    seats: list[StoredSeat]


def summarize(sections: list[SectionIn]) -> list[SectionSummary]:
    out: list[SectionSummary] = []
    for section in sections:
        if isinstance(section, GeneralAdmissionIn):
            out.append(
                SectionSummary(
                    id=section.id, name=section.name, kind="ga", capacity=section.capacity
                )
            )
            continue
        seats = sum(len(r.seats) for r in section.rows)
        categories = sorted({s.category for r in section.rows for s in r.seats})
        out.append(
            SectionSummary(
                id=section.id,
                name=section.name,
                kind="reserved",
                rows=len(section.rows),
                seats=seats,
                capacity=seats,
                categories=categories,
            )
        )
    return out


def _chunk_documents(
    venue_id: str, layout_id: str, sections: list[SectionIn]
) -> Iterator[Document]:
    seq = 0
    for section in sections:
        if not isinstance(section, ReservedSectionIn):
            continue
        rows: list[Document] = []
        size = 0
        for row in section.rows:
            rows.append({"label": row.label, "seats": [_pack(s) for s in row.seats]})
            size += len(row.seats)
            if size >= CHUNK_SEATS:
                yield _chunk(venue_id, layout_id, seq, section.id, rows)
                seq, rows, size = seq + 1, [], 0
        if rows:
            yield _chunk(venue_id, layout_id, seq, section.id, rows)
            seq += 1


def _chunk(
    venue_id: str, layout_id: str, seq: int, section_id: str, rows: list[Document]
) -> Document:
    return {
        "_id": f"{layout_id}:{seq:06d}",
        "venue_id": venue_id,
        "layout_id": layout_id,
        "seq": seq,
        "section_id": section_id,
        "rows": rows,
    }


def _pack(seat: SeatIn) -> StoredSeat:
    return [
        seat.label,
        seat.x,
        seat.y,
        seat.category,
        [a.value for a in seat.accessibility],
        seat.blocked,
    ]


def unpack_seat(stored: StoredSeat) -> SeatIn:
    label, x, y, category, accessibility, blocked = stored
    return SeatIn.model_construct(
        label=label,
        x=x,
        y=y,
        category=category,
        accessibility=tuple(Accessibility(a) for a in accessibility),
        blocked=blocked,
    )


def new_layout_id() -> str:
    return "lay_" + secrets.token_hex(8)


async def write_layout_chunks(
    db: Database, venue_id: str, layout_id: str, sections: list[SectionIn]
) -> int:
    """Write every seat of one layout in one batch; returns the documents written."""
    docs = list(_chunk_documents(venue_id, layout_id, sections))
    if docs:
        await db[CHUNKS].insert_many(docs, ordered=False)
    return len(docs)


async def delete_layout_chunks(db: Database, venue_id: str, layout_id: str) -> None:
    await db[CHUNKS].delete_many({"venue_id": venue_id, "layout_id": layout_id})


async def insert_venue(db: Database, venue: Venue) -> None:
    doc = venue.model_dump(mode="python", exclude={"id"})
    doc["_id"] = venue.id
    doc["layout_id"] = venue.layout_id  # excluded from API answers, kept in storage
    await db[VENUES].insert_one(doc)


async def switch_layout(
    db: Database,
    venue_id: str,
    *,
    from_version: int,
    layout_id: str,
    sections: list[SectionSummary],
    now: datetime,
) -> bool:
    """Make `layout_id` current as `from_version + 1`, unless someone replaced the layout
    meanwhile."""
    summary = venue_totals(sections)
    result = await db[VENUES].update_one(
        {"_id": venue_id, "layout_version": from_version},
        {
            "$set": {
                "layout_version": from_version + 1,
                "layout_id": layout_id,
                "sections": [s.model_dump() for s in sections],
                "updated_at": now,
                **summary,
            }
        },
    )
    return result.modified_count == 1


async def restore_layout(db: Database, previous: Venue, *, replaced_by: str) -> bool:
    """Undo a `switch_layout` to `replaced_by`: point the venue back at `previous`'s layout."""
    result = await db[VENUES].update_one(
        {"_id": previous.id, "layout_id": replaced_by},
        {
            "$set": {
                "layout_version": previous.layout_version,
                "layout_id": previous.layout_id,
                "sections": [s.model_dump() for s in previous.sections],
                "seat_count": previous.seat_count,
                "ga_capacity": previous.ga_capacity,
                "categories": previous.categories,
                "updated_at": previous.updated_at,
            }
        },
    )
    return result.modified_count == 1


def venue_totals(sections: list[SectionSummary]) -> dict[str, Any]:
    return {
        "seat_count": sum(s.seats for s in sections),
        "ga_capacity": sum(s.capacity for s in sections if s.kind == "ga"),
        "categories": sorted({c for s in sections for c in s.categories}),
    }


async def find_venue(db: Database, venue_id: str) -> Venue | None:
    doc = await db[VENUES].find_one({"_id": venue_id})
    return _venue(doc) if doc is not None else None


async def list_org_venues(
    db: Database, org_id: str, *, cursor: str | None, limit: int
) -> Page[Venue]:
    """One page of the organization's venues by name."""
    return await keyset_page(
        db[VENUES], {"org_id": org_id}, cursor=cursor, limit=limit, model=_venue,
        field="name", kind=str, descending=False,
    )  # fmt: skip


def _venue(doc: Document) -> Venue:
    doc = dict(doc)
    doc["id"] = doc.pop("_id")
    return Venue.model_validate(doc)


async def iter_rows(db: Database, venue_id: str, layout_id: str) -> AsyncIterator[StoredRow]:
    """Every row of one layout, in import order (sections, then rows)."""
    cursor = (
        db[CHUNKS].find({"venue_id": venue_id, "layout_id": layout_id}).sort([("seq", ASCENDING)])
    )
    async for chunk in cursor:
        for row in chunk["rows"]:
            yield StoredRow(chunk["section_id"], row["label"], row["seats"])


async def load_sections(db: Database, venue: Venue) -> list[SectionIn]:
    """The whole layout of the venue's current version, in its original order."""
    rows_by_section: dict[str, list[RowIn]] = {}
    async for row in iter_rows(db, venue.id, venue.layout_id):
        seats = [unpack_seat(s) for s in row.seats]
        rows_by_section.setdefault(row.section_id, []).append(
            RowIn.model_construct(label=row.label, seats=seats)
        )
    sections: list[SectionIn] = []
    for summary in venue.sections:
        if summary.kind == "ga":
            sections.append(
                GeneralAdmissionIn.model_construct(
                    kind="ga", id=summary.id, name=summary.name, capacity=summary.capacity
                )
            )
        else:
            sections.append(
                ReservedSectionIn.model_construct(
                    kind="reserved",
                    id=summary.id,
                    name=summary.name,
                    rows=rows_by_section.get(summary.id, []),
                )
            )
    return sections


async def load_document(db: Database, venue: Venue) -> Document:
    """The venue as its JSON import shape, built from the chunks without model objects
    (the export of 80,000 seats stays well under a second of CPU)."""
    rows_by_section: dict[str, list[Document]] = {}
    async for row in iter_rows(db, venue.id, venue.layout_id):
        seats = [
            {"label": label, "x": x, "y": y, "category": category,
             "accessibility": accessibility, "blocked": blocked}
            for label, x, y, category, accessibility, blocked in row.seats
        ]  # fmt: skip
        rows_by_section.setdefault(row.section_id, []).append({"label": row.label, "seats": seats})
    sections: list[Document] = [
        {"kind": "ga", "id": s.id, "name": s.name, "capacity": s.capacity}
        if s.kind == "ga"
        else {"kind": "reserved", "id": s.id, "name": s.name, "rows": rows_by_section.get(s.id, [])}
        for s in venue.sections
    ]
    return {
        "name": venue.name,
        "city": venue.city,
        "address": venue.address,
        "timezone": venue.timezone,
        "sections": sections,
    }


async def _create_collections(db: Database) -> None:
    await ensure_collection(db, VENUES)
    await db[VENUES].create_index([("org_id", ASCENDING), ("name", ASCENDING)], name="org_name")
    await ensure_collection(db, CHUNKS)
    await db[CHUNKS].create_index(
        [("venue_id", ASCENDING), ("layout_id", ASCENDING), ("seq", ASCENDING)],
        name="venue_layout_seq",
    )


MIGRATIONS = [Migration(200, "catalog: venues and seat chunks", _create_collections)]
