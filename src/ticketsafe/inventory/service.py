"""Inventory business rules: holds in Redis (fast, atomic, per event), sales in MongoDB.

Who decides what:
- A hold exists only in Redis. Losing Redis loses holds, which is safe: their units just
  become available again (MongoDB's sold units are reloaded), so every hold still ends in
  an order or a release. No hold document is written to MongoDB: that would put a
  ~1 k writes/s store on the hot path for no safety gain.
- A sale exists only once MongoDB accepted it (`commit_sale`): unique unit `_id`s refuse
  a second sale of any seat or GA unit whatever Redis believed.

The commit protocol (race windows in comments at each step) keeps Redis and MongoDB
converging after any crash: the hold is marked *committing* in Redis first (so neither the
buyer nor the sweeper releases it mid-write), then MongoDB is written, then Redis marks the
units sold. A caller that dies in between leaves a committing hold that the sweeper
reconciles with MongoDB once the commit grace has passed.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from pymongo.errors import ConnectionFailure, WriteConcernError
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.inventory.engine import Engine, EventKeys, Reply
from ticketsafe.inventory.errors import (
    EventNotProvisioned,
    ExtensionRefused,
    HoldCommitting,
    HoldConverted,
    HoldExpired,
    HoldLimitExceeded,
    HoldNotFound,
    InventoryBusy,
    NoAdjacentSeats,
    SalesNotOpen,
    SeatsTaken,
    SoldOut,
    UnknownUnits,
)
from ticketsafe.inventory.layout_spec import ga_area_of, load_spec
from ticketsafe.inventory.metrics import (
    HOLD_REFUSALS,
    HOLD_UNITS,
    HOLDS_CREATED,
    HOLDS_EXPIRED,
    HOLDS_RELEASED,
    REFUSAL_REASONS,
)
from ticketsafe.inventory.models import (
    Availability,
    GaAvailability,
    Hold,
    HoldKind,
    HoldOnce,
    InventoryLayout,
    Sale,
    SaleItems,
    SupplyCounts,
    UnitStatus,
)
from ticketsafe.inventory.repository import InventoryRepository, SoldUnit

Clock = Callable[[], int]  # milliseconds; 0 = let Redis's clock decide

_STATUS = {"A": UnitStatus.AVAILABLE, "B": UnitStatus.BLOCKED, "H": UnitStatus.HELD}


# The engine's refusals as a bounded `reason` label (`metrics.REFUSAL_REASONS`).
_REFUSALS = dict(
    zip(("LIMIT", "TAKEN", "SOLDOUT", "NOADJ", "UNKNOWN", "NOTYET"), REFUSAL_REASONS, strict=True)
)


def hold_id_for(event_id: str) -> str:
    return f"hld_{secrets.token_hex(10)}_{event_id}"


def event_of(hold_id: str) -> str:
    parts = hold_id.split("_", 2)
    if len(parts) != 3 or parts[0] != "hld" or not parts[2]:
        raise HoldNotFound()
    return parts[2]


@asynccontextmanager
async def store_errors() -> AsyncIterator[None]:
    """A store that does not answer is a 503 with Retry-After, never a 500."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, BusyLoadingError) as exc:
        raise InventoryBusy("inventory store unavailable", retry_after=1) from exc
    except (ConnectionFailure, WriteConcernError) as exc:
        raise InventoryBusy("sales database unavailable", retry_after=2) from exc


def _split_units(units: Sequence[str]) -> tuple[list[str], dict[str, int]]:
    seats: list[str] = []
    ga: Counter[str] = Counter()
    for u in units:
        area = ga_area_of(u)
        if area is None:
            seats.append(u)
        else:
            ga[area] += 1
    return seats, dict(ga)


def _hold_of(
    hold_id: str, event_id: str, buyer_id: str, kind: HoldKind,
    *, expires_ms: int, units: Sequence[str],
) -> Hold:  # fmt: skip
    seats, ga = _split_units(units)
    return Hold(
        hold_id=hold_id, event_id=event_id, buyer_id=buyer_id, kind=kind,
        seats=seats, ga=ga, expires_at_ms=expires_ms,
    )  # fmt: skip


@dataclass(frozen=True)
class SweepReport:
    released: int
    reconciled: int
    expired: list[ExpiredHold] = field(default_factory=list)


@dataclass(frozen=True)
class ExpiredHold:
    """A hold the sweep released because its time was up (for its buyer's live channel)."""

    event_id: str
    hold_id: str
    buyer_id: str


class HoldOrders(Protocol):
    """What holds became: the orders domain answers (wired in `ticketsafe.services`)."""

    async def __call__(self, hold_id: str, buyer_id: str) -> str | None:
        """The id of the order this buyer's hold became, or None."""


class InventoryService:
    def __init__(
        self,
        db: Database,
        redis: RedisClient,
        *,
        clock: Clock | None = None,
        commit_grace_s: float = 30.0,
        extend_warning_s: float = 120.0,
        engine: Engine | None = None,
    ) -> None:
        self.repo = InventoryRepository(db)
        self.engine = engine or Engine(redis)
        self.clock: Clock = clock or (lambda: 0)
        self.commit_grace_ms = int(commit_grace_s * 1000)
        self.extend_warning_ms = int(extend_warning_s * 1000)

    # -- provisioning and recovery --------------------------------------------------------

    async def provision_event(self, layout: InventoryLayout) -> int:
        """Create or update an event's inventory; idempotent. Held and sold units keep
        their state; blocked flags, capacities and new/removed seats are merged in."""
        async with store_errors():
            await self.repo.save_layout(layout)
            sold = await self.repo.sold_units(layout.event_id)
            return await self.engine.load(layout.event_id, load_spec(layout, sold), self.clock())

    async def rebuild(self, event_id: str) -> None:
        """Redis lost this event (flush, restart without data): reload it from MongoDB's
        layout and sold units. Lost holds vanish, i.e. their units are available again.
        Two instances rebuilding at once is harmless: the second load is a no-op merge."""
        async with store_errors():
            layout = await self.repo.load_layout(event_id)
            if layout is None:
                raise EventNotProvisioned(event_id=event_id)
            sold = await self.repo.sold_units(event_id)
            await self.engine.load(event_id, load_spec(layout, sold), self.clock())

    async def _call(
        self, event_id: str, op: str, *args: str | int, extra_key: str | None = None
    ) -> Reply:
        async with store_errors():
            reply = await self.engine.call(event_id, op, self.clock(), *args, extra_key=extra_key)
            if reply.status == "NOREADY":
                await self.rebuild(event_id)
                reply = await self.engine.call(
                    event_id, op, self.clock(), *args, extra_key=extra_key
                )
                if reply.status == "NOREADY":
                    raise InventoryBusy("inventory is being rebuilt", retry_after=1)
            return reply

    # -- holds -----------------------------------------------------------------------------

    async def hold_seats(
        self, event_id: str, buyer_id: str, seat_ids: Sequence[str], *, once: HoldOnce | None = None
    ) -> Hold:
        params = {"seats": list(dict.fromkeys(seat_ids))}
        return await self._hold(event_id, buyer_id, HoldKind.SEATS, params, once)

    async def hold_best(
        self, event_id: str, buyer_id: str, section_id: str, quantity: int, category: str = "",
        *, once: HoldOnce | None = None,
    ) -> Hold:  # fmt: skip
        params = {"section": section_id, "cat": category, "n": quantity}
        return await self._hold(event_id, buyer_id, HoldKind.BEST, params, once)

    async def hold_ga(
        self, event_id: str, buyer_id: str, area_id: str, quantity: int,
        *, once: HoldOnce | None = None,
    ) -> Hold:  # fmt: skip
        params = {"area": area_id, "n": quantity}
        return await self._hold(event_id, buyer_id, HoldKind.GA, params, once)

    async def _hold(
        self, event_id: str, buyer_id: str, kind: HoldKind, params: dict[str, Any],
        once: HoldOnce | None,
    ) -> Hold:  # fmt: skip
        hold_id = hold_id_for(event_id)
        args: list[str | int] = [hold_id, buyer_id, kind.value, orjson.dumps(params).decode()]
        record = None
        if once is not None:
            args += [once.fingerprint, once.ttl_ms]
            record = EventKeys(event_id).idempotency_record(once.record_id)
        r = await self._call(event_id, "hold", *args, extra_key=record)
        if r.status == "IDEM" and once is not None:
            first_id, expires, units = once.first_answer(r.values[0])
            return _hold_of(first_id, event_id, buyer_id, kind, expires_ms=expires, units=units)
        if r.status == "OK":
            expires = int(r.values[0])
            units = r.texts(2)
            HOLDS_CREATED.labels(kind.value).inc()
            HOLD_UNITS.inc(len(units))
            return _hold_of(hold_id, event_id, buyer_id, kind, expires_ms=expires, units=units)
        if r.status in _REFUSALS:
            HOLD_REFUSALS.labels(_REFUSALS[r.status]).inc()
        if r.status == "LIMIT":
            limit, current = int(r.values[0]), int(r.values[1])
            raise HoldLimitExceeded(
                f"at most {limit} tickets per buyer for this event", limit=limit, current=current
            )
        if r.status == "TAKEN":
            raise SeatsTaken(seats=r.texts())
        if r.status == "SOLDOUT":
            raise SoldOut(available=int(r.values[0]))
        if r.status == "NOADJ":
            raise NoAdjacentSeats(available=int(r.values[0]))
        if r.status == "UNKNOWN":
            raise UnknownUnits(units=r.texts())
        if r.status == "NOTYET":
            opens = datetime.fromtimestamp(int(r.values[0]) / 1000, UTC)
            raise SalesNotOpen(f"holds open at {opens.isoformat()}", opens_at=opens.isoformat())
        raise InventoryBusy(f"unexpected engine answer {r.status}")

    async def get_hold(
        self, hold_id: str, buyer_id: str, *, orders: HoldOrders | None = None
    ) -> Hold:
        """The buyer's live hold. One that is gone raises HoldConverted with its order's
        id when `orders` knows it became one (Redis forgets a hold once sold), else
        HoldExpired."""
        event_id = event_of(hold_id)
        r = await self._call(event_id, "get", hold_id)
        if r.status != "OK":
            order_id = await orders(hold_id, buyer_id) if orders is not None else None
            if order_id is not None:
                raise HoldConverted(
                    f"this hold became order {order_id}: see /orders/{order_id}",
                    hold_id=hold_id,
                    order_id=order_id,
                )
            raise HoldExpired(hold_id=hold_id)
        raw: dict[str, Any] = orjson.loads(r.values[0])
        if raw["b"] != buyer_id:
            raise HoldNotFound()  # never reveal someone else's hold
        if int(raw["e"]) <= int(r.values[1]) and not raw["c"]:
            raise HoldExpired(hold_id=hold_id)
        seats, ga = _split_units(raw["u"])
        return Hold(
            hold_id=hold_id, event_id=event_id, buyer_id=buyer_id, kind=HoldKind(raw["k"]),
            seats=seats, ga=ga, expires_at_ms=int(raw["e"]), extended=raw["x"] == 1,
            committing=bool(raw["c"]),
        )  # fmt: skip

    async def hold_keeps_units(self, hold_id: str) -> bool:
        """Whether the hold still keeps its units from anyone else: live, or committing
        (its sale's write may still land). False once released, expired, sold (its units
        are then the order's in MongoDB) or lost with Redis's data."""
        r = await self._call(event_of(hold_id), "get", hold_id)
        if r.status != "OK":
            return False
        raw: dict[str, Any] = orjson.loads(r.values[0])
        return bool(raw["c"]) or int(raw["e"]) > int(r.values[1])

    async def has_sale(self, order_id: str) -> bool:
        """Whether MongoDB holds any unit sold to this order."""
        async with store_errors():
            return bool(await self.repo.units_by_order(order_id))

    async def release_hold(self, hold_id: str, buyer_id: str) -> None:
        r = await self._call(event_of(hold_id), "release", hold_id, buyer_id)
        if r.status == "OK":
            HOLDS_RELEASED.inc()
        if r.status == "GONE":
            raise HoldExpired(hold_id=hold_id)
        if r.status == "NOTYOURS":
            raise HoldNotFound()
        if r.status == "COMMITTING":
            raise HoldCommitting(hold_id=hold_id)

    async def extend_hold(self, hold_id: str, buyer_id: str) -> Hold:
        """Once per hold, inside the warning window before expiry (WCAG 2.2.1)."""
        r = await self._call(event_of(hold_id), "extend", hold_id, buyer_id, self.extend_warning_ms)
        if r.status in {"GONE", "EXPIRED"}:
            raise HoldExpired(hold_id=hold_id)
        if r.status == "NOTYOURS":
            raise HoldNotFound()
        if r.status == "COMMITTING":
            raise HoldCommitting(hold_id=hold_id)
        if r.status == "ONCE":
            raise ExtensionRefused("a hold can be extended only once", reason="already_extended")
        if r.status == "EARLY":
            raise ExtensionRefused(
                "extension opens shortly before expiry",
                reason="not_in_warning_window",
                opens_at_ms=int(r.values[0]),
            )
        return await self.get_hold(hold_id, buyer_id)

    # -- availability ----------------------------------------------------------------------

    async def availability(self, event_id: str) -> Availability:
        """Every seat's status and every GA area's count, in one Redis round trip."""
        r = await self._call(event_id, "avail")
        version = int(r.values[0])
        ga_rows: list[list[Any]] = orjson.loads(r.values[1]) if r.values[1] != b"{}" else []
        flat: list[bytes] = r.values[2]
        seats = {
            flat[i].decode(): _STATUS.get(flat[i + 1][:1].decode(), UnitStatus.SOLD)
            for i in range(0, len(flat), 2)
        }
        ga = {str(a): GaAvailability(capacity=int(c), available=int(f)) for a, c, f in ga_rows}
        return Availability(event_id=event_id, version=version, seats=seats, ga=ga)

    async def supply(self, event_id: str) -> SupplyCounts:
        """Units available and live holds, in O(1) (the waiting room's sold-out pause)."""
        r = await self._call(event_id, "supply")
        return SupplyCounts(
            available=int(r.values[0]), holds=int(r.values[1]), open=int(r.values[2]) == 1
        )

    # -- sales (called by the orders domain) -----------------------------------------------

    async def commit_sale(self, hold_id: str, order_id: str, buyer_id: str) -> Sale:
        """Turn a live hold into a sale in MongoDB, before any payment is captured.

        Idempotent: calling again with the same order returns the same sale. Raises
        HoldExpired (410), SeatsTaken (409, only if Redis had lost state), or
        InventoryBusy (503: outcome unknown, call again — the retry settles it)."""
        event_id = event_of(hold_id)
        r = await self._call(
            event_id, "commit_begin", hold_id, buyer_id, order_id, self.commit_grace_ms
        )
        if r.status in {"GONE", "EXPIRED"}:
            return await self._committed_earlier(event_id, hold_id, order_id, buyer_id)
        if r.status == "NOTYOURS":
            raise HoldNotFound()
        if r.status == "COMMITTING":
            raise HoldCommitting(hold_id=hold_id)
        units = r.texts()
        try:
            async with store_errors():
                outcome = await self.repo.insert_sold(
                    event_id, units, order_id=order_id, hold_id=hold_id, buyer_id=buyer_id
                )
        except InventoryBusy:
            # Unknown whether MongoDB applied the write. Try to undo our part and hold
            # again; if even that fails the hold stays "committing" and the sweeper
            # reconciles it with MongoDB after the grace (or the caller's retry does).
            try:
                async with store_errors():
                    await self.repo.delete_units_of_hold(event_id, units, hold_id)
                await self._call(event_id, "commit_abort", hold_id)
            except InventoryBusy:
                pass
            raise
        others = [u for u in outcome.existing if u.hold_id != hold_id]
        if others:
            # Only possible after Redis lost state: MongoDB refused units sold to another
            # order. Undo ours, teach Redis the truth, release the rest of the hold.
            async with store_errors():
                await self.repo.delete_units_of_hold(event_id, outcome.inserted, hold_id)
            await self._call(event_id, "release", hold_id, "")
            await self._mark_sold(event_id, others)  # after the release: units now free
            raise SeatsTaken(seats=sorted(u.unit for u in others))
        # MongoDB has the sale: it stands even if this Redis update fails (the sweeper
        # finishes it: a committing hold whose units are all in MongoDB becomes sold).
        with suppress(InventoryBusy):
            await self._call(event_id, "commit_done", hold_id, order_id, *units)
        seats, ga = _split_units(units)
        return Sale(
            hold_id=hold_id, order_id=order_id, buyer_id=buyer_id, event_id=event_id,
            seats=seats, ga=ga,
        )  # fmt: skip

    async def _committed_earlier(
        self, event_id: str, hold_id: str, order_id: str, buyer_id: str
    ) -> Sale:
        async with store_errors():
            sold = await self.repo.units_of_hold(order_id, hold_id)
        if not sold:
            raise HoldExpired(hold_id=hold_id)
        seats, ga = _split_units([u.unit for u in sold])
        return Sale(
            hold_id=hold_id, order_id=order_id, buyer_id=buyer_id, event_id=event_id,
            seats=seats, ga=ga,
        )  # fmt: skip

    async def _mark_sold(self, event_id: str, sold: Sequence[SoldUnit]) -> None:
        pairs = [x for u in sold for x in (u.unit, u.order_id)]
        if pairs:
            await self._call(event_id, "mark_sold", *pairs)

    async def release_sale(self, order_id: str, items: SaleItems | None = None) -> int:
        """Refund: the order's units (all, or just `items`) are deleted from MongoDB and
        become available at once. Returns how many units were released; idempotent."""
        async with store_errors():
            all_units = await self.repo.units_by_order(order_id)
        released_total = 0
        for event_id in sorted({u.event_id for u in all_units}):
            mine = [u for u in all_units if u.event_id == event_id]
            if items is not None:
                keep = set(_limit_ga([u.unit for u in mine if _selected(u.unit, items)], items))
                mine = [u for u in mine if u.unit in keep]
            # Redis first, then MongoDB: if the MongoDB delete fails the caller retries;
            # meanwhile a unit free in Redis but still sold in MongoDB can only cost a
            # buyer a refused commit (which re-marks it sold), never a double sale.
            for buyer in sorted({u.buyer_id for u in mine}):
                units = [u.unit for u in mine if u.buyer_id == buyer]
                await self._call(event_id, "refund", order_id, buyer, *units)
            async with store_errors():
                released = await self.repo.delete_units_of_order(
                    event_id, [u.unit for u in mine], order_id
                )
            released_total += len(released)
        return released_total

    # -- expiry (worker) -------------------------------------------------------------------

    async def sweep(self, batch: int = 500) -> SweepReport:
        """Release expired holds of every event; reconcile stuck commits with MongoDB.
        Idempotent and safe on several workers at once: each release is one atomic script
        that acts only on a hold still present and still due."""
        released = reconciled = 0
        expired: list[ExpiredHold] = []
        async with store_errors():
            events = await self.engine.events()
        for event_id in events:
            # Once a minute per event (whichever worker gets there first), make Redis agree
            # with MongoDB on what is sold: closes the gap left if Redis restarted from an
            # AOF that missed its last second of writes (a sale acknowledged by MongoDB
            # whose Redis bookkeeping was lost would otherwise show as available).
            async with store_errors():
                due = await self.engine.redis.set(
                    f"{EventKeys(event_id).prefix}:reconciled", b"1", nx=True, ex=60
                )
            if due:
                await self.reconcile_sold(event_id)
            while True:
                r = await self._call(event_id, "expire", batch)
                count, overdue = int(r.values[0]), int(r.values[1])
                released += count
                HOLDS_EXPIRED.inc(count)
                for hold_id in r.texts(2)[:overdue]:
                    await self._reconcile(event_id, hold_id)
                    reconciled += 1
                for gone in r.texts(2 + overdue):
                    hold_id, _, buyer_id = gone.partition(" ")
                    expired.append(ExpiredHold(event_id, hold_id, buyer_id))
                if count < batch:
                    break
        return SweepReport(released, reconciled, expired)

    async def oversold_units(self) -> int:
        """Units MongoDB holds as sold beyond each event's capacity (sellable seats plus
        GA capacity), summed: the oversell detector's reading. Unit ids make a double
        sale of one unit impossible, so counting per event is enough (one indexed count
        per provisioned event)."""
        oversold = 0
        for layout in await self.repo.layouts():
            capacity = sum(1 for s in layout.seats if not s.blocked)
            capacity += sum(a.capacity for a in layout.areas)
            oversold += max(0, await self.repo.count_sold(layout.event_id) - capacity)
        return oversold

    async def reconcile_sold(self, event_id: str, chunk: int = 1000) -> None:
        """Mark every unit MongoDB has sold as sold in Redis (idempotent, chunked)."""
        async with store_errors():
            sold = await self.repo.sold_units(event_id)
        for start in range(0, len(sold), chunk):
            await self._mark_sold(event_id, sold[start : start + chunk])

    async def _reconcile(self, event_id: str, hold_id: str) -> None:
        """A commit outlived its grace (its caller died or lost MongoDB). MongoDB decides:
        every unit sold to this hold → the sale stands; otherwise undo any partial write
        and release the hold."""
        r = await self._call(event_id, "get", hold_id)
        if r.status != "OK":
            return
        raw: dict[str, Any] = orjson.loads(r.values[0])
        units: list[str] = raw["u"]
        async with store_errors():
            sold = await self.repo.units_of_hold(raw["o"], hold_id)
        if len(sold) == len(units):
            await self._call(event_id, "commit_done", hold_id, raw["o"], *units)
            return
        if sold:
            async with store_errors():
                await self.repo.delete_units_of_hold(event_id, units, hold_id)
        await self._call(event_id, "release", hold_id, "")


def _selected(unit: str, items: SaleItems) -> bool:
    area = ga_area_of(unit)
    return unit in items.seats if area is None else area in items.ga


def _limit_ga(units: list[str], items: SaleItems) -> list[str]:
    left = dict(items.ga)
    out: list[str] = []
    for u in units:
        area = ga_area_of(u)
        if area is None:
            out.append(u)
        elif left.get(area, 0) > 0:
            left[area] -= 1
            out.append(u)
    return out
