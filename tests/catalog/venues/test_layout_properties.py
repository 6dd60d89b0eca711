"""Properties of the pure layout functions (no stores involved): CSV round trip, and
validation accepting every sound grid while locating each injected duplicate."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ticketsafe.catalog.errors import LayoutInvalid
from ticketsafe.catalog.venues.schemas import Accessibility, ReservedSectionIn, RowIn, SeatIn
from ticketsafe.catalog.venues.seats_csv import export_seats_csv, parse_seats_csv
from ticketsafe.catalog.venues.validation import validate_layout

labels = st.from_regex(r"[A-Za-z0-9]{1,4}", fullmatch=True)


@st.composite
def sections(draw: st.DrawFn) -> list[ReservedSectionIn]:
    """Sections laid out on a grid one unit apart (never overlapping), unique labels."""
    out: list[ReservedSectionIn] = []
    section_ids = draw(st.lists(labels, min_size=1, max_size=3, unique=True))
    for s_index, section_id in enumerate(section_ids):
        row_labels = draw(st.lists(labels, min_size=1, max_size=4, unique=True))
        rows = []
        for r_index, row_label in enumerate(row_labels):
            seat_labels = draw(st.lists(labels, min_size=1, max_size=6, unique=True))
            seats = [
                SeatIn(
                    label=label,
                    x=float(k) + draw(st.sampled_from([0.0, 0.25])),
                    y=float(s_index * 10 + r_index),
                    category=draw(st.sampled_from(["standard", "vip"])),
                    accessibility=tuple(draw(st.sets(st.sampled_from(list(Accessibility))))),
                    blocked=draw(st.booleans()),
                )
                for k, label in enumerate(seat_labels)
            ]
            rows.append(RowIn(label=row_label, seats=seats))
        out.append(ReservedSectionIn(id=section_id, name=f"Setor {section_id}", rows=rows))
    return out


def _normalized(layout: list[ReservedSectionIn]) -> list[ReservedSectionIn]:
    """Accessibility is a set in meaning; order it so comparisons ignore draw order."""
    return [
        s.model_copy(
            update={
                "rows": [
                    r.model_copy(
                        update={
                            "seats": [
                                seat.model_copy(
                                    update={"accessibility": tuple(sorted(seat.accessibility))}
                                )
                                for seat in r.seats
                            ]
                        }
                    )
                    for r in s.rows
                ]
            }
        )
        for s in layout
    ]


@settings(max_examples=60, deadline=None)
@given(sections())
def test_csv_round_trip_keeps_every_seat(layout: list[ReservedSectionIn]) -> None:
    parsed = parse_seats_csv(export_seats_csv(layout))
    assert _normalized(parsed) == _normalized(layout)


@settings(max_examples=60, deadline=None)
@given(sections())
def test_sound_grids_validate(layout: list[ReservedSectionIn]) -> None:
    validate_layout(list(layout))


@settings(max_examples=60, deadline=None)
@given(sections(), st.data())
def test_duplicate_label_is_found_where_injected(
    layout: list[ReservedSectionIn], data: st.DataObject
) -> None:
    s_index = data.draw(st.integers(0, len(layout) - 1))
    section = layout[s_index]
    r_index = data.draw(st.integers(0, len(section.rows) - 1))
    row = section.rows[r_index]
    assume(len(row.seats) >= 2)
    k = data.draw(st.integers(1, len(row.seats) - 1))
    seats = list(row.seats)
    seats[k] = seats[k].model_copy(update={"label": seats[0].label})
    rows = list(section.rows)
    rows[r_index] = row.model_copy(update={"seats": seats})
    broken = list(layout)
    broken[s_index] = section.model_copy(update={"rows": rows})
    with pytest.raises(LayoutInvalid) as info:
        validate_layout(list(broken))
    [problem] = info.value.extra["errors"]
    assert problem["code"] == "duplicate_seat_label"
    assert problem["loc"] == ["body", "sections", s_index, "rows", r_index, "seats", k, "label"]
