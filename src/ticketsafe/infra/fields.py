"""Field types every API schema shares: what the store can hold, said in the schema.

- Integers the API stores are bounded (`StoredInt`, `Money`, `Count`): MongoDB holds
  8-byte integers, and a larger number was an `OverflowError` (500) at the write. The
  bound is 2**53 - 1, well inside that: the largest integer every JSON client (a
  browser's `Number`) holds exactly, so what we store is what the client meant.
- Money, quantities and flags take only their JSON type: a number sent as a string
  (`"quantity": "2"`), `true` for `1` or `0` for `false` is a 422, so a client bug is
  caught instead of silently coerced, as the schema says. The rule holds in pydantic's
  JSON mode too, which the fast lane uses, so both paths agree.
- Instants (`Instant`) are RFC 3339 strings, as `format: date-time` says; pydantic alone
  would also take a number of seconds.
- Names (people, organizations, venues, events, ticket types) refuse NUL and the other
  control characters: they end up in e-mails, PDFs, CSV exports and logs.

Text that cannot be encoded (a lone surrogate such as `"\\ud800"`, which JSON can carry)
is refused for every field at once by `ticketsafe.infra.request_text`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError

MAX_EXACT_INT = 2**53 - 1  # exact in every JSON client; far inside MongoDB's int64

StoredInt = Annotated[int, Field(ge=-MAX_EXACT_INT, le=MAX_EXACT_INT)]
"""Any integer the API stores (narrow it per field: the narrower bound wins)."""


def _json_number(value: Any) -> Any:
    """Refuse what lax pydantic would coerce into an integer: text and booleans. An
    integral float (`2.0`) stays accepted: JSON Schema counts it as an integer."""
    if isinstance(value, str | bytes | bool):
        raise PydanticCustomError(
            "int_type",
            "Input should be a JSON integer, not {kind}",
            {"kind": "a boolean" if isinstance(value, bool) else "text"},
        )
    return value


JsonInteger = BeforeValidator(_json_number)
"""The marker that makes an `int` field refuse text and booleans. It goes last, after the
bounds (`Annotated[int, Field(ge=1, le=50), JsonInteger]`): bounds given after it would
not reach the JSON schema as `minimum`/`maximum`."""

Money = Annotated[int, Field(ge=0, le=MAX_EXACT_INT), JsonInteger]
"""An amount in integer minor units (centavos, cents); a JSON number, never a string."""

Count = Annotated[int, Field(ge=0, le=MAX_EXACT_INT), JsonInteger]
"""A quantity, quota or capacity; a JSON number, never a string. For narrower bounds
write `Annotated[int, Field(ge=1, le=50), JsonInteger]`."""

Flag = Annotated[bool, Strict()]
"""`true` or `false`, never `0`, `1` or `"yes"`."""

Coordinate = Annotated[float, Strict(), Field(allow_inf_nan=False)]
"""A JSON number (an integer is a number too), never a string."""

_ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")


def _iso_8601_only(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_8601.match(value):
        return value
    raise ValueError("an RFC 3339 date-time with its offset, e.g. 2030-01-31T20:00:00-03:00")


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_8601_only)]
"""A point in time as the schema says (`format: date-time`): pydantic alone would also
take a number, or a numeric string, as seconds since 1970."""

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"

Name = Annotated[str, Field(pattern=NO_CONTROL_CHARACTERS)]
"""A name shown to people: no NUL, no C0/C1 control characters (newlines included).
Give its length per field (`Field(min_length=1, max_length=100)`)."""
