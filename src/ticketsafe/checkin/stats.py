"""Check-in counts for organizers: per gate and per 5-minute slot (in the event's time
zone), from the tickets' own admission marks — no write per scan beyond the mark."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ticketsafe.catalog.read_models import get_sales_view
from ticketsafe.infra.background import run_soon
from ticketsafe.infra.hash_tags import event_prefix
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.tickets.service import TicketService

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


def _mark(event_id: str) -> str:
    return f"{event_prefix(event_id)}:checkin:mark"


class AdmissionMarks:
    """Notes admissions at an event without waiting (a scan's answer does not wait):
    the organizer's live stats are re-read only when the event's mark moved. One move
    (INCR) at a time per event: the admissions noted while one is under way are covered
    by one more after it, so a gate rush moves the mark a few times per round trip to
    Redis instead of once per scan (a command and a task less per admitted scan)."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self._moving: dict[str, bool] = {}  # event id -> admissions noted since its move

    def changed(self, event_id: str) -> None:
        if event_id in self._moving:
            self._moving[event_id] = True
            return
        self._moving[event_id] = False
        run_soon(self._move(event_id), "check-in mark")

    async def _move(self, event_id: str) -> None:
        try:
            again = True
            while again:
                await self.redis.incr(_mark(event_id))
                again = self._moving[event_id]
                self._moving[event_id] = False
        finally:
            del self._moving[event_id]


class LiveCheckinStats:
    """What the organizer's live channel shows (`realtime.feeds` asks at most every few
    seconds): admitted so far, per gate and per slot — read only when the event's mark
    moved since the caller's `mark`, however many scans came meanwhile."""

    def __init__(self, db: Database, redis: RedisClient, tickets: TicketService) -> None:
        self.db, self.redis, self.tickets = db, redis, tickets

    async def __call__(self, event_id: str, mark: object) -> tuple[dict[str, Any] | None, object]:
        now = await self.redis.get(_mark(event_id)) or b"0"
        if now == mark:
            return None, mark
        view = await get_sales_view(self.db, event_id, max_age_s=60.0)
        admissions = await self.tickets.admissions(event_id)
        per_gate, per_slot = counts(admissions, view.timezone)
        stats = {"admitted": len(admissions), "per_gate": per_gate, "per_slot": per_slot}
        return stats, now
