"""Rules across the seats of one layout, reported all at once with their locations.

Each problem is `{code, loc, where, msg}`: `loc` is the JSON path into the import payload
(as FastAPI's own validation errors), `where` the human location ("section A, row 3,
seat 12"). Checks are linear in the number of seats (80,000 in well under a second):
overlaps use a hash grid whose cell is the minimum spacing, so only the 3×3 neighbouring
cells are compared.
"""

from __future__ import annotations

import math
from typing import Any

from ticketsafe.catalog.errors import LayoutInvalid
from ticketsafe.catalog.venues.schemas import ReservedSectionIn, SectionIn

MAX_SEATS_PER_VENUE = 100_000
MAX_PROBLEMS_LISTED = 200
# Two seat centres closer than this (in layout units, ≈ seat widths) overlap when drawn.
MIN_SEAT_SPACING = 0.5

Problem = dict[str, Any]


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.truncated = False

    def add(self, code: str, loc: list[str | int], where: str, msg: str) -> None:
        if len(self.items) >= MAX_PROBLEMS_LISTED:
            self.truncated = True
            return
        self.items.append({"code": code, "loc": loc, "where": where, "msg": msg})


def validate_layout(sections: list[SectionIn]) -> None:
    """Raise `LayoutInvalid` listing every problem; return quietly when the layout is sound."""
    problems = _Problems()
    if not sections:
        problems.add("empty_layout", ["body", "sections"], "venue", "a venue needs a section")
    seen_sections: dict[str, int] = {}
    total = 0
    for s_index, section in enumerate(sections):
        loc: list[str | int] = ["body", "sections", s_index]
        if section.id in seen_sections:
            problems.add(
                "duplicate_section_id",
                [*loc, "id"],
                f"section {section.id}",
                f"section id {section.id!r} is also used by section #{seen_sections[section.id]}",
            )
        else:
            seen_sections[section.id] = s_index
        if isinstance(section, ReservedSectionIn):
            total += _check_rows(section, loc, problems)
    if total > MAX_SEATS_PER_VENUE:
        problems.add(
            "too_many_seats",
            ["body", "sections"],
            "venue",
            f"{total} seats; a venue holds at most {MAX_SEATS_PER_VENUE}",
        )
    _check_overlaps(sections, problems)
    if problems.items:
        raise LayoutInvalid(problems.items, truncated=problems.truncated)


def _check_rows(section: ReservedSectionIn, loc: list[str | int], problems: _Problems) -> int:
    if not section.rows:
        problems.add("empty_section", [*loc, "rows"], f"section {section.id}", "no rows")
    seen_rows: set[str] = set()
    count = 0
    for r_index, row in enumerate(section.rows):
        row_loc: list[str | int] = [*loc, "rows", r_index]
        where = f"section {section.id}, row {row.label}"
        if row.label in seen_rows:
            problems.add("duplicate_row_label", [*row_loc, "label"], where, "row label repeated")
        seen_rows.add(row.label)
        if not row.seats:
            problems.add("empty_row", [*row_loc, "seats"], where, "a row needs at least one seat")
        seen_seats: set[str] = set()
        for k, seat in enumerate(row.seats):
            if seat.label in seen_seats:
                problems.add(
                    "duplicate_seat_label",
                    [*row_loc, "seats", k, "label"],
                    f"{where}, seat {seat.label}",
                    "seat label repeated in this row",
                )
            seen_seats.add(seat.label)
        count += len(row.seats)
    return count


_Placed = tuple[float, float, int, int, int]  # x, y, section, row and seat indexes
_NEIGHBOURS = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def _check_overlaps(sections: list[SectionIn], problems: _Problems) -> None:
    # Hot loop (one pass per seat): only plain tuples here; text is built for clashes only.
    grid: dict[tuple[int, int], list[_Placed]] = {}
    for s_index, section in enumerate(sections):
        if not isinstance(section, ReservedSectionIn):
            continue
        for r_index, row in enumerate(section.rows):
            for k, seat in enumerate(row.seats):
                placed = (seat.x, seat.y, s_index, r_index, k)
                cell = (
                    math.floor(seat.x / MIN_SEAT_SPACING),
                    math.floor(seat.y / MIN_SEAT_SPACING),
                )
                clash = _first_clash(grid, cell, placed)
                if clash is not None:
                    _overlap(sections, placed, clash, problems)
                grid.setdefault(cell, []).append(placed)


def _first_clash(
    grid: dict[tuple[int, int], list[_Placed]], cell: tuple[int, int], seat: _Placed
) -> _Placed | None:
    (cx, cy), (x, y), limit = cell, seat[:2], MIN_SEAT_SPACING**2
    for dx, dy in _NEIGHBOURS:
        for other in grid.get((cx + dx, cy + dy), ()):
            if (other[0] - x) ** 2 + (other[1] - y) ** 2 < limit:
                return other
    return None


def _overlap(sections: list[SectionIn], seat: _Placed, other: _Placed, problems: _Problems) -> None:
    problems.add(
        "overlapping_seats",
        ["body", "sections", seat[2], "rows", seat[3], "seats", seat[4]],
        _where(sections, seat),
        f"closer than {MIN_SEAT_SPACING} to {_where(sections, other)} at ({seat[0]}, {seat[1]})",
    )


def _where(sections: list[SectionIn], placed: _Placed) -> str:
    section = sections[placed[2]]
    assert isinstance(section, ReservedSectionIn)
    row = section.rows[placed[3]]
    return f"section {section.id}, row {row.label}, seat {row.seats[placed[4]].label}"
