"""Seat lists as CSV: one seat per line, in order along each row.

Columns (header required): `section,row,seat,x,y,category,accessibility,blocked` plus an
optional `section_name`. `accessibility` is `|`-separated (e.g. `wheelchair|companion`),
`blocked` is `true`/`false` (empty = false). Rows and sections appear in the order of
their first line. Bad values are reported per line and column, all at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pydantic import ValidationError

from ticketsafe.catalog.errors import LayoutInvalid
from ticketsafe.catalog.venues.schemas import ReservedSectionIn, RowIn, SeatIn, SectionIn
from ticketsafe.catalog.venues.validation import MAX_PROBLEMS_LISTED, Problem

COLUMNS = ("section", "row", "seat", "x", "y", "category", "accessibility", "blocked")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def export_seats_csv(sections: Iterable[SectionIn]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, "section_name"])
    for section in sections:
        if not isinstance(section, ReservedSectionIn):
            continue
        for row in section.rows:
            for seat in row.seats:
                writer.writerow(
                    [
                        section.id,
                        row.label,
                        seat.label,
                        _number(seat.x),
                        _number(seat.y),
                        seat.category,
                        "|".join(a.value for a in seat.accessibility),
                        "true" if seat.blocked else "false",
                        section.name,
                    ]
                )
    return out.getvalue()


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def parse_seats_csv(text: str) -> list[ReservedSectionIn]:
    """Reserved sections from a CSV seat list; raises `LayoutInvalid` listing bad lines."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise LayoutInvalid(
            [
                {
                    "code": "missing_csv_column",
                    "loc": ["body", "header"],
                    "where": "line 1",
                    "msg": f"missing column(s): {', '.join(missing)}",
                }
            ]
        )
    column = {name: header.index(name) for name in (*COLUMNS, "section_name") if name in header}
    problems: list[Problem] = []
    names: dict[str, str] = {}
    rows: dict[str, dict[str, list[SeatIn]]] = {}
    for line_no, fields in enumerate(reader, start=2):
        if not fields:
            continue
        record = {name: fields[i] if i < len(fields) else "" for name, i in column.items()}
        seat = _seat(record, line_no, problems)
        section_id = record["section"]
        names.setdefault(section_id, record.get("section_name", "").strip() or section_id)
        row = rows.setdefault(section_id, {}).setdefault(record["row"], [])
        if seat is not None:
            row.append(seat)
        if len(problems) >= MAX_PROBLEMS_LISTED:
            raise LayoutInvalid(problems, truncated=True)
    sections: list[ReservedSectionIn] = []
    for section_id, section_rows in rows.items():
        try:
            sections.append(
                ReservedSectionIn(
                    id=section_id,
                    name=names[section_id],
                    rows=[RowIn(label=label, seats=seats) for label, seats in section_rows.items()],
                )
            )
        except ValidationError as exc:
            problems.extend(
                {
                    "code": "invalid_csv_value",
                    "loc": ["body", "section", section_id, *[str(p) for p in e["loc"]]],
                    "where": f"section {section_id}",
                    "msg": e["msg"],
                }
                for e in exc.errors()
            )
    if problems:
        raise LayoutInvalid(problems[:MAX_PROBLEMS_LISTED])
    return sections


def _seat(record: dict[str, str], line_no: int, problems: list[Problem]) -> SeatIn | None:
    blocked_text = record["blocked"].strip().lower()
    if blocked_text not in _TRUE | _FALSE:
        problems.append(_line_problem(line_no, "blocked", "expected true or false"))
        return None
    accessibility = [a for a in record["accessibility"].split("|") if a]
    try:
        return SeatIn.model_validate(
            {
                "label": record["seat"],
                "x": _csv_number(record["x"]),
                "y": _csv_number(record["y"]),
                "category": record["category"] or "standard",
                "accessibility": accessibility,
                "blocked": blocked_text in _TRUE,
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "seat"
            column = {"label": "seat"}.get(field, field)
            problems.append(_line_problem(line_no, column, error["msg"]))
        return None


def _csv_number(text: str) -> float | str:
    """A CSV cell as the number JSON would carry (the schema takes numbers, not text);
    text that is no number stays text, so the model refuses it naming the column."""
    try:
        return float(text)
    except ValueError:
        return text


def _line_problem(line_no: int, column: str, msg: str) -> Problem:
    return {
        "code": "invalid_csv_value",
        "loc": ["body", "line", line_no, column],
        "where": f"line {line_no}, column {column}",
        "msg": msg,
    }
