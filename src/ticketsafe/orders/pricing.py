"""Pricing a hold: every held unit gets one ticket line, priced from the event's price
levels and ticket types. Pure functions plus a short-lived cache of seat → price level."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ticketsafe.catalog.events.schemas import TicketKind
from ticketsafe.catalog.read_models import EventSalesView, PriceLevels, price_levels_of
from ticketsafe.identity.cpf import InvalidCpf, validate_cpf
from ticketsafe.infra.mongodb import Database
from ticketsafe.inventory.models import Hold
from ticketsafe.orders.errors import (
    CourtesyNotAllowed,
    CpfRequired,
    TicketsDoNotMatchHold,
    TicketTypeRefused,
)
from ticketsafe.orders.models import OrderLine
from ticketsafe.orders.schemas import TicketChoice

_CACHE_TTL_S = 30.0

log = logging.getLogger("ticketsafe.orders")


@dataclass(frozen=True)
class PricedTicket:
    line: OrderLine
    holder: dict[str, str]  # name (+ cpf): sealed by the caller before storing


@dataclass
class PriceBook:
    """seat id → price level id per event, read from the catalog's seat map and kept for
    a few seconds: a checkout must not read an 80,000-seat map every time. Once the copy
    is older than the TTL, one read refreshes it in the background while checkouts go on
    with the copy they have; only the first checkout of an event waits, and every
    checkout arriving meanwhile waits for that same read. (Before, each checkout that
    found the copy expired read the whole map itself: at 50,000 seats, dozens of them at
    once stalled the whole sale for 15-30 s, every one to two minutes.) Price levels changed
    during a sale show up within the TTL and one read; the buyer's expected total guards
    them."""

    _maps: dict[str, tuple[float, PriceLevels]] = field(default_factory=dict)
    _reads: dict[str, asyncio.Task[PriceLevels]] = field(default_factory=dict)

    async def levels(
        self, db: Database, event_id: str
    ) -> tuple[Mapping[str, str | None], Mapping[str, str | None]]:
        cached = self._maps.get(event_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        read = self._reads.get(event_id)
        if read is None:
            read = self._reads[event_id] = asyncio.create_task(self._read(db, event_id))
            read.add_done_callback(_log_failed_refresh)
        if cached is not None:
            return cached[1]
        return await asyncio.shield(read)  # a caller giving up does not cancel the read

    async def _read(self, db: Database, event_id: str) -> PriceLevels:
        try:
            levels = await price_levels_of(db, event_id)
            self._maps[event_id] = (time.monotonic() + _CACHE_TTL_S, levels)
            return levels
        finally:
            self._reads.pop(event_id, None)


def _log_failed_refresh(read: asyncio.Task[PriceLevels]) -> None:
    if not read.cancelled() and read.exception() is not None:
        log.warning("price levels not refreshed", exc_info=read.exception())


def price_tickets(
    view: EventSalesView,
    hold: Hold,
    choices: Sequence[TicketChoice],
    seat_levels: Mapping[str, str | None],
    area_levels: Mapping[str, str | None],
    *,
    organizer: bool,
) -> list[PricedTicket]:
    _match_hold(hold, choices)
    priced: list[PricedTicket] = []
    for choice in choices:
        level_id = (
            seat_levels.get(choice.seat_id)
            if choice.seat_id
            else area_levels.get(choice.area_id or "")
        )
        level = view.price_level(level_id) if level_id else None
        if level is None:
            raise TicketTypeRefused(
                "this seat or area has no price", unit=choice.seat_id or choice.area_id
            )
        ticket_type = view.ticket_type(choice.ticket_type_id)
        if ticket_type is None:
            raise TicketTypeRefused("unknown ticket type", ticket_type_id=choice.ticket_type_id)
        if ticket_type.kind is TicketKind.COURTESY and not organizer:
            raise CourtesyNotAllowed()
        if ticket_type.kind is TicketKind.HALF and not choice.half_price_eligible:
            raise TicketTypeRefused(
                "confirm the holder's eligibility for half price (meia-entrada)",
                ticket_type_id=ticket_type.id,
                eligibility_note=ticket_type.eligibility_note,
            )
        holder = {"name": choice.holder_name}
        if view.requires_cpf or choice.holder_cpf:
            try:
                holder["cpf"] = validate_cpf(choice.holder_cpf or "")
            except InvalidCpf:
                raise CpfRequired(holder=choice.holder_name) from None
        line = OrderLine(
            line_id=f"ln_{secrets.token_hex(6)}",
            seat_id=choice.seat_id,
            area_id=choice.area_id,
            price_level_id=level.id,
            ticket_type_id=ticket_type.id,
            ticket_kind=ticket_type.kind.value,
            unit_cents=ticket_type.price_for(level.amount_minor),
        )
        priced.append(PricedTicket(line, holder))
    return priced


def limited_types(view: EventSalesView, lines: Sequence[OrderLine]) -> dict[str, tuple[int, int]]:
    """Ticket types with a quota used by these lines: type id → (count, quota)."""
    counts = Counter(line.ticket_type_id for line in lines)
    out: dict[str, tuple[int, int]] = {}
    for type_id, n in counts.items():
        ticket_type = view.ticket_type(type_id)
        if ticket_type is not None and ticket_type.quota is not None:
            out[type_id] = (n, ticket_type.quota)
    return out


def _match_hold(hold: Hold, choices: Sequence[TicketChoice]) -> None:
    seats = [c.seat_id for c in choices if c.seat_id]
    areas = Counter(c.area_id for c in choices if c.area_id)
    if sorted(seats) != sorted(hold.seats) or dict(areas) != {
        a: n for a, n in hold.ga.items() if n
    }:
        raise TicketsDoNotMatchHold(held_seats=sorted(hold.seats), held_ga=hold.ga)
