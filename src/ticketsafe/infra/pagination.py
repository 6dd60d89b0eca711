"""Cursor pagination for lists that grow (an organizer's orders, a webhook's deliveries,
gate staff, events, venues): by keyset, so a page costs the same on the first screen as on the
thousandth and rows written meanwhile never shift the pages already seen.

The cursor names the last row handed out, (its sort value, `_id`), as opaque base64url.
The client passes it back untouched; one it did not get from us (garbled, forged, of
another shape) is a typed 400 `invalid_cursor`, never a 500. A cursor only moves the
starting point within the caller's own filter (the organization, the buyer), so even a
well-formed forged one reaches nothing the caller could not list anyway.

Rows are ordered by one field (`created_at` newest first by default; an event's start,
a venue's name) then `_id`. The query asks for `field <= the cursor's` (or `>=`; one
indexed range, no top-level `$or`, which SecantusDB answers with a collection scan) and
skips the few rows of the same value already handed out.
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
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from ticketsafe.infra.errors import BadRequest
from ticketsafe.infra.mongodb import Document

T = TypeVar("T")

# The query parameters of every paginated list (`limit` gets its default where used).
CursorParam = Annotated[
    str | None,
    Query(max_length=200, description="Opaque: the `next_cursor` of the previous page."),
]
PageLimit = Annotated[int, Query(ge=1, le=200, description="Rows per page.")]


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    title = "Cursor not recognised"


# A sort key's value as the cursor carries it: a moment (to the millisecond, as MongoDB
# stores it) or a string (a name).
Value = datetime | str


@dataclass(frozen=True)
class Position:
    value: Value
    id: str


def encode_cursor(position: Position) -> str:
    value = position.value
    kind = ["t", int(value.timestamp() * 1000)] if isinstance(value, datetime) else ["s", value]
    raw = orjson.dumps([*kind, position.id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, kind: type[datetime] | type[str] = datetime) -> Position:
    """The position a cursor names; `InvalidCursor` (400) for anything else, including a
    cursor of another list's kind."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        tag, value, row_id = orjson.loads(raw)
        if not isinstance(row_id, str):
            raise ValueError("not a cursor")
        if tag == "t" and kind is datetime and type(value) is int:
            return Position(datetime.fromtimestamp(value / 1000, UTC), row_id)
        if tag == "s" and kind is str and isinstance(value, str):
            return Position(value, row_id)
        raise ValueError("not a cursor")
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, OverflowError, OSError):
        raise InvalidCursor("cursor is not one this API handed out") from None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


async def keyset_page(
    collection: AsyncCollection[Document],
    query: Document,
    *,
    cursor: str | None,
    limit: int,
    model: Callable[[Document], T],
    field: str = "created_at",
    kind: type[datetime] | type[str] = datetime,
    descending: bool = True,
) -> Page[T]:
    """One page of `query`'s rows ordered by `field` (then `_id`), newest or greatest
    first unless `descending=False`, after `cursor` (None: the first page)."""
    after = decode_cursor(cursor, kind) if cursor else None
    flt: dict[str, Any] = dict(query)
    if after is not None:
        flt[field] = {"$lte" if descending else "$gte": after.value}
    order = DESCENDING if descending else ASCENDING
    rows: list[Document] = []
    found = collection.find(flt).sort([(field, order), ("_id", order)])
    try:
        async for doc in found.batch_size(limit + 1):
            if after is not None and _seen(doc[field], str(doc["_id"]), after, descending):
                continue
            rows.append(doc)
            if len(rows) > limit:
                break
    finally:
        await found.close()
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if more else None
    next_cursor = encode_cursor(Position(last[field], str(last["_id"]))) if last else None
    return Page([model(doc) for doc in page], next_cursor)


def _seen(value: Value, row_id: str, after: Position, descending: bool) -> bool:
    """Handed out already: the cursor row's own value (to the millisecond), and an id
    not past the cursor row's in the list's order."""
    if isinstance(value, datetime) and isinstance(after.value, datetime):
        same = int(value.timestamp() * 1000) == int(after.value.timestamp() * 1000)
    else:
        same = value == after.value
    return same and (row_id >= after.id if descending else row_id <= after.id)
