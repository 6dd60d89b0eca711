"""Layout limits checked without the HTTP layer (building 100,000 seats is the slow part)."""

from __future__ import annotations

import pytest

from ticketsafe.catalog.errors import LayoutInvalid
from ticketsafe.catalog.venues.schemas import ReservedSectionIn, RowIn, SeatIn
from ticketsafe.catalog.venues.validation import MAX_SEATS_PER_VENUE, validate_layout


def _section(section_id: str, rows: int, per_row: int, y0: int) -> ReservedSectionIn:
    return ReservedSectionIn.model_construct(
        kind="reserved",
        id=section_id,
        name=section_id,
        rows=[
            RowIn.model_construct(
                label=str(r),
                seats=[
                    SeatIn.model_construct(
                        label=str(k), x=float(k), y=float(y0 + r), category="standard",
                        accessibility=(), blocked=False,
                    )
                    for k in range(per_row)
                ],
            )
            for r in range(rows)
        ],
    )  # fmt: skip


def test_venue_above_the_seat_limit_refused() -> None:
    per_row = 100
    rows = MAX_SEATS_PER_VENUE // per_row
    sections = [_section("A", rows, per_row, 0), _section("B", 1, 1, rows + 5)]
    with pytest.raises(LayoutInvalid) as info:
        validate_layout(list(sections))
    assert [e["code"] for e in info.value.extra["errors"]] == ["too_many_seats"]


def test_venue_at_the_seat_limit_accepted() -> None:
    per_row = 100
    validate_layout([_section("A", MAX_SEATS_PER_VENUE // per_row, per_row, 0)])


def test_problem_list_is_capped() -> None:
    section = _section("A", 1, 300, 0)
    row = section.rows[0]
    same = [s.model_copy(update={"label": "dup"}) for s in row.seats]
    broken = section.model_copy(update={"rows": [row.model_copy(update={"seats": same})]})
    with pytest.raises(LayoutInvalid) as info:
        validate_layout([broken])
    assert len(info.value.extra["errors"]) == 200
    assert info.value.extra["truncated"] is True
