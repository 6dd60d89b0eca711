"""Cursor pagination for lists that grow (an organizer's orders, a webhook's deliveries):
newest first, by keyset, so a page costs the same on the first screen as on the
thousandth and rows written meanwhile never shift the pages already seen.

The cursor names the last row handed out, `(created_at, _id)` (or the list's own time
field, e.g. `granted_at`), as opaque base64url.
The client passes it back untouched; one it did not get from us (garbled, forged, of
another shape) is a typed 400 `invalid_cursor`, never a 500. A cursor only moves the
starting point within the caller's own filter (the organization, the buyer), so even a
well-formed forged one reaches nothing the caller could not list anyway.

Rows are ordered by `created_at` then `_id`, both descending. The query asks for
`created_at <= the cursor's` (one indexed range, no top-level `$or`, which SecantusDB
answers with a collection scan) and skips the few rows of the same millisecond already
handed out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from ticketsafe.infra.errors import BadRequest
from ticketsafe.infra.mongodb import Document

T = TypeVar("T")

# The query parameter of every paginated list.
CursorParam = Annotated[
    str | None,
    Query(max_length=200, description="Opaque: the `next_cursor` of the previous page."),
]


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    title = "Cursor not recognised"


@dataclass(frozen=True)
class Position:
    at: datetime
    id: str


def encode_cursor(position: Position) -> str:
    ms = int(position.at.timestamp() * 1000)
    raw = orjson.dumps([ms, position.id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        ms, row_id = orjson.loads(raw)
        if not isinstance(ms, int) or isinstance(ms, bool) or not isinstance(row_id, str):
            raise ValueError("not a cursor")
        return Position(datetime.fromtimestamp(ms / 1000, UTC), row_id)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, OverflowError, OSError):
        raise InvalidCursor("cursor is not one this API handed out") from None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


async def newest_first(
    collection: AsyncCollection[Document],
    query: Document,
    *,
    cursor: str | None,
    limit: int,
    model: Callable[[Document], T],
    time_field: str = "created_at",
) -> Page[T]:
    """One page of `query`'s rows, newest first by `time_field`, after `cursor` (None:
    the first page)."""
    after = decode_cursor(cursor) if cursor else None
    flt: dict[str, Any] = dict(query)
    if after is not None:
        flt[time_field] = {"$lte": after.at}
    rows: list[Document] = []
    found = collection.find(flt).sort([(time_field, DESCENDING), ("_id", DESCENDING)])
    try:
        async for doc in found.batch_size(limit + 1):
            if after is not None and _not_after(doc[time_field], doc["_id"], after):
                continue
            rows.append(doc)
            if len(rows) > limit:
                break
    finally:
        await found.close()
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if more else None
    next_cursor = encode_cursor(Position(last[time_field], last["_id"])) if last else None
    return Page([model(doc) for doc in page], next_cursor)


def _not_after(at: datetime, row_id: Any, after: Position) -> bool:
    """Handed out already: the same millisecond as the cursor's row, and not below it."""
    same_ms = int(at.timestamp() * 1000) == int(after.at.timestamp() * 1000)
    return same_ms and str(row_id) >= after.id
