"""Turning an `InventoryLayout` plus MongoDB's sold units into the engine's load spec.

Best-available needs rows in seat order, split wherever the order skips (an aisle or a
missing seat is not adjacency), and a per-seat distance to the focus point (the stage
centre): the engine then prefers the window with the smallest summed distance, which
favours rows nearer the stage and, within a row, the centre.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from ticketsafe.inventory.models import InventoryLayout, ReservedSeat
from ticketsafe.inventory.repository import SoldUnit


def ga_unit(area_id: str, n: int) -> str:
    return f"ga:{area_id}:{n}"


def ga_area_of(unit: str) -> str | None:
    if not unit.startswith("ga:"):
        return None
    return unit[3:].rsplit(":", 1)[0]


def row_segments(layout: InventoryLayout) -> dict[str, list[dict[str, Any]]]:
    by_row: dict[tuple[str, str], list[ReservedSeat]] = defaultdict(list)
    for seat in layout.seats:
        by_row[(seat.section_id, seat.row)].append(seat)
    sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (section, _), seats in sorted(by_row.items()):
        seats.sort(key=lambda s: s.order)
        segment: list[ReservedSeat] = []
        for seat in seats:
            if segment and seat.order != segment[-1].order + 1:
                sections[section].append(_segment(layout, segment))
                segment = []
            segment.append(seat)
        if segment:
            sections[section].append(_segment(layout, segment))
    return dict(sections)


def _segment(layout: InventoryLayout, seats: Sequence[ReservedSeat]) -> dict[str, Any]:
    return {
        "ids": [s.seat_id for s in seats],
        "cat": [s.category for s in seats],
        "d": [round(math.hypot(s.x - layout.focus_x, s.y - layout.focus_y) * 100) for s in seats],
    }


def rows_fields(layout: InventoryLayout) -> dict[str, str]:
    """The engine's `rows` hash: each segment under `<section>#<n>` (the engine indexes
    them by their nearest available seat itself)."""
    fields: dict[str, str] = {}
    for section, segments in row_segments(layout).items():
        for n, seg in enumerate(segments):
            fields[f"{section}#{n}"] = orjson.dumps(seg).decode()
    return fields


def load_spec(layout: InventoryLayout, sold: Sequence[SoldUnit]) -> dict[str, Any]:
    return {
        "hold_ms": layout.hold_duration_s * 1000,
        "limit": layout.per_buyer_limit,
        "opens_ms": layout.sales_open_ms,
        "seats": [[s.seat_id, int(s.blocked)] for s in layout.seats],
        "areas": [[a.area_id, a.capacity] for a in layout.areas],
        "area_ids": [a.area_id for a in layout.areas],
        "rows": rows_fields(layout),
        "sold": [[u.unit, u.order_id] for u in sold],
        "buyers": dict(Counter(u.buyer_id for u in sold)),
    }
