"""Check-in counts for organizers: per gate and per 5-minute slot (in the event's time
zone), from the tickets' own admission marks — no write per scan beyond the mark."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

SLOT_MINUTES = 5


def slot_of(at: datetime, timezone: str) -> str:
    local = at.astimezone(ZoneInfo(timezone))
    return local.replace(minute=local.minute - local.minute % SLOT_MINUTES, second=0,
                         microsecond=0).isoformat()  # fmt: skip


def counts(
    admissions: list[tuple[str, datetime]], timezone: str
) -> tuple[dict[str, int], dict[str, int]]:
    """(admitted per gate, admitted per slot start), slots in time order."""
    gates = Counter(gate for gate, _ in admissions)
    slots = Counter(slot_of(at, timezone) for _, at in admissions)
    return dict(sorted(gates.items())), dict(sorted(slots.items()))
