"""The price book: seat → price level per event, read once and refreshed in the
background (one read at a time per event), on the real catalog data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ticketsafe.catalog import read_models
from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.infra.resources import Resources
from ticketsafe.orders import pricing
from ticketsafe.orders.pricing import PriceBook

from .conftest import Sale


class CountedReads:
    """Counts the price-book reads of the seat map (the real read, held at a gate)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()
        real = read_models.price_levels_of

        async def counted(db: Any, event_id: str) -> read_models.PriceLevels:
            self.calls += 1
            await self.gate.wait()
            return await real(db, event_id)

        monkeypatch.setattr(pricing, "price_levels_of", counted)


async def test_the_levels_match_the_seat_map(sale: Sale, resources: Resources) -> None:
    seats, areas = await PriceBook().levels(resources.db, sale.event_id)
    layout = await read_models.event_layout(resources.db, sale.event_id)
    assert seats == {s.seat_id: s.price_level_id for s in layout.seats}
    assert len(seats) == 10
    assert set(seats.values()) == {"p1"}
    assert areas == {"pista": "p3"}


async def test_concurrent_first_checkouts_share_one_read(
    sale: Sale, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = CountedReads(monkeypatch)
    book = PriceBook()
    results = await asyncio.gather(*(book.levels(resources.db, sale.event_id) for _ in range(40)))
    assert reads.calls == 1
    assert all(r == results[0] for r in results)


async def test_an_expired_copy_is_served_while_one_read_refreshes_it(
    sale: Sale, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = CountedReads(monkeypatch)
    book = PriceBook()
    first = await book.levels(resources.db, sale.event_id)
    book._maps[sale.event_id] = (0.0, (dict(first[0]), dict(first[1])))  # expired long ago
    reads.gate.clear()  # the refresh is slow
    during = await asyncio.gather(*(book.levels(resources.db, sale.event_id) for _ in range(30)))
    assert all(d == first for d in during)  # nobody waited for the slow read
    assert reads.calls == 2  # the first read, then one refresh for all thirty
    refresh = book._reads[sale.event_id]
    reads.gate.set()
    await asyncio.wait_for(refresh, 10)
    assert sale.event_id not in book._reads  # refreshed and done


async def test_an_unknown_event_fails_every_waiting_checkout(resources: Resources) -> None:
    book = PriceBook()
    results = await asyncio.gather(
        *(book.levels(resources.db, "evt_nope") for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, EventNotFound) for r in results)
    assert not book._reads
