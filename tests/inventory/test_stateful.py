"""A Hypothesis state machine drives the real engine (Redis + MongoDB) with holds,
releases, expiries, sales, refunds and Redis wipes, and after every step checks:

- every seat is in exactly one state: available, blocked, held by exactly one live hold,
  or sold to exactly one order (which MongoDB agrees with);
- every GA unit is exactly one of free / held / sold, so held + sold <= capacity;
- the engine agrees with a plain Python model of the rules (limits, all-or-nothing).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.inventory.conftest import Clock, seated_layout
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.engine import EventKeys
from ticketsafe.inventory.errors import (
    HoldExpired,
    HoldLimitExceeded,
    NoAdjacentSeats,
    SeatsTaken,
    SoldOut,
)
from ticketsafe.inventory.layout_spec import ga_area_of
from ticketsafe.inventory.repository import UNITS
from ticketsafe.inventory.service import InventoryService
from ticketsafe.schema import MIGRATIONS

SEATS = [f"A-{r}-{s}" for r in (1, 2) for s in (1, 2, 3, 4)]
BLOCKED = "A-2-4"
CAPACITY = 3
LIMIT = 4
HOLD_S = 60
BUYERS = ["usr_a", "usr_b", "usr_c"]


@dataclass
class ModelHold:
    buyer: str
    units: list[str]
    expires: int


@dataclass
class Model:
    holds: dict[str, ModelHold] = field(default_factory=dict)
    sold: dict[str, tuple[str, str]] = field(default_factory=dict)  # unit -> (order, buyer)

    def taken(self) -> set[str]:
        return {u for h in self.holds.values() for u in h.units} | set(self.sold)

    def count(self, buyer: str) -> int:
        held = sum(len(h.units) for h in self.holds.values() if h.buyer == buyer)
        return held + sum(1 for _, b in self.sold.values() if b == buyer)

    def ga_free(self) -> int:
        used = sum(1 for u in self.taken() if ga_area_of(u) == "floor")
        return CAPACITY - used


class InventoryMachine(RuleBasedStateMachine):
    settings_for_run: Settings

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.resources = Resources.open(self.settings_for_run)
        self.clock = Clock()
        self.svc = InventoryService(self.resources.db, self.resources.redis, clock=self.clock)
        self.event = f"evt_{uuid.uuid4().hex[:10]}"
        self.model = Model()
        self.orders = itertools.count(1)
        layout = seated_layout(
            self.event, rows=2, per_row=4, areas={"floor": CAPACITY}, limit=LIMIT,
            hold_s=HOLD_S, blocked=frozenset({BLOCKED}),
        )  # fmt: skip
        self.run(migrate(self.resources.db, MIGRATIONS))
        self.run(self.svc.provision_event(layout))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.resources.close())
        self.loop.close()

    # -- rules -----------------------------------------------------------------------------

    def _expect_hold(self, buyer: str, n: int) -> str | None:
        """What the model says a hold of n units should fail with (or None)."""
        if self.model.count(buyer) + n > LIMIT:
            return "limit"
        return None

    @rule(
        buyer=st.sampled_from(BUYERS), seats=st.sets(st.sampled_from(SEATS), min_size=1, max_size=3)
    )
    def hold_seats(self, buyer: str, seats: set[str]) -> None:
        wanted = sorted(seats)
        busy = (self.model.taken() | {BLOCKED}) & set(wanted)
        expected = self._expect_hold(buyer, len(wanted)) or ("taken" if busy else None)
        try:
            hold = self.run(self.svc.hold_seats(self.event, buyer, wanted))
        except HoldLimitExceeded:
            assert expected == "limit"
            return
        except SeatsTaken as exc:
            listed = set(exc.extra["seats"])
            assert expected == "taken"
            assert listed == busy
            return
        assert expected is None
        self.model.holds[hold.hold_id] = ModelHold(buyer, wanted, hold.expires_at_ms)

    @rule(buyer=st.sampled_from(BUYERS), n=st.integers(1, 3))
    def hold_best(self, buyer: str, n: int) -> None:
        try:
            hold = self.run(self.svc.hold_best(self.event, buyer, "A", n))
        except HoldLimitExceeded:
            assert self._expect_hold(buyer, n) == "limit"
            return
        except (NoAdjacentSeats, SoldOut):
            assert self._expect_hold(buyer, n) is None
            free = [s for s in SEATS if s not in self.model.taken() and s != BLOCKED]
            assert not _has_run(free, n)
            return
        assert self._expect_hold(buyer, n) is None
        assert len(hold.seats) == n
        assert not set(hold.seats) & (self.model.taken() | {BLOCKED})
        rows = {s.rsplit("-", 1)[0] for s in hold.seats}
        numbers = sorted(int(s.rsplit("-", 1)[1]) for s in hold.seats)
        assert len(rows) == 1
        assert numbers == list(range(numbers[0], numbers[0] + n))
        self.model.holds[hold.hold_id] = ModelHold(buyer, hold.seats, hold.expires_at_ms)

    @rule(buyer=st.sampled_from(BUYERS), n=st.integers(1, 3))
    def hold_ga(self, buyer: str, n: int) -> None:
        expected = self._expect_hold(buyer, n) or ("soldout" if self.model.ga_free() < n else None)
        try:
            hold = self.run(self.svc.hold_ga(self.event, buyer, "floor", n))
        except HoldLimitExceeded:
            assert expected == "limit"
            return
        except SoldOut:
            assert expected == "soldout"
            return
        assert expected is None
        units = self.run(self._units_of(hold.hold_id))
        self.model.holds[hold.hold_id] = ModelHold(buyer, units, hold.expires_at_ms)

    async def _units_of(self, hold_id: str) -> list[str]:
        r = await self.svc._call(self.event, "get", hold_id)
        units: list[str] = orjson.loads(r.values[0])["u"]
        return units

    @precondition(lambda self: bool(self.model.holds))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(list(self.model.holds)))  # ids are random: keep order
        self.run(self.svc.release_hold(hold_id, self.model.holds[hold_id].buyer))
        del self.model.holds[hold_id]

    @precondition(lambda self: bool(self.model.holds))
    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(list(self.model.holds)))  # ids are random: keep order
        hold = self.model.holds.pop(hold_id)
        order = f"ord_{self.event}_{next(self.orders)}"
        sale = self.run(self.svc.commit_sale(hold_id, order, hold.buyer))
        assert sorted(sale.seats) == sorted(u for u in hold.units if not u.startswith("ga:"))
        for u in hold.units:
            self.model.sold[u] = (order, hold.buyer)

    @precondition(lambda self: bool(self.model.sold))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        order = data.draw(
            st.sampled_from(list(dict.fromkeys(o for o, _ in self.model.sold.values())))
        )
        n = self.run(self.svc.release_sale(order))
        gone = [u for u, (o, _) in self.model.sold.items() if o == order]
        assert n == len(gone)
        for u in gone:
            del self.model.sold[u]

    @rule(seconds=st.sampled_from([1, 30, 61]))
    def time_passes_and_sweep(self, seconds: int) -> None:
        self.clock.advance(seconds)
        self.run(self.svc.sweep())
        for hold_id, hold in list(self.model.holds.items()):
            if hold.expires <= self.clock.ms:
                del self.model.holds[hold_id]
                try:
                    self.run(self.svc.commit_sale(hold_id, "ord_late", hold.buyer))
                except HoldExpired:
                    pass
                else:
                    raise AssertionError("an expired hold was sold")

    @rule()
    def redis_loses_everything(self) -> None:
        self.run(self.resources.redis.flushall())
        self.model.holds.clear()

    # -- the invariants --------------------------------------------------------------------

    @invariant()
    def every_unit_in_exactly_one_state(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        await self.svc.availability(self.event)  # also rebuilds after a wipe
        keys = EventKeys(self.event)
        redis = self.resources.redis
        raw_seats: Any = await redis.hgetall(f"{keys.prefix}:seats")
        raw_gau: Any = await redis.hgetall(f"{keys.prefix}:gau")
        raw_free: Any = await redis.zrange(f"{keys.prefix}:gafree", 0, -1)
        raw_holds: Any = await redis.hkeys(f"{keys.prefix}:holds")
        seats = {k.decode(): v.decode() for k, v in raw_seats.items()}
        gau = {k.decode(): v.decode() for k, v in raw_gau.items()}
        free = {m.decode() for m in raw_free}
        holds = {k.decode() for k in raw_holds}
        mongo: Counter[str] = Counter()
        owner: dict[str, str] = {}
        async for doc in self.resources.db[UNITS].find({"event_id": self.event}):
            mongo[doc["unit"]] += 1
            owner[doc["unit"]] = doc["order_id"]
        assert all(c == 1 for c in mongo.values()), "a unit sold twice"
        assert holds == set(self.model.holds)
        holder = {u: hid for hid, h in self.model.holds.items() for u in h.units}
        assert sum(len(h.units) for h in self.model.holds.values()) == len(holder), "double hold"
        for seat in SEATS:
            state = seats[seat]
            if seat in holder:
                assert state == f"H:{holder[seat]}"
            elif seat in self.model.sold:
                assert state == f"S:{self.model.sold[seat][0]}" == f"S:{owner[seat]}"
            else:
                assert state == ("B" if seat == BLOCKED else "A")
        ga_units = [f"ga:floor:{k}" for k in range(CAPACITY)]
        for u in ga_units:
            states = [u in free, u in gau]
            assert sum(states) == 1, f"{u} in {states}"
            if u in holder:
                assert gau[u] == f"H:{holder[u]}"
            elif u in self.model.sold:
                assert gau[u] == f"S:{owner[u]}"
            else:
                assert u in free
        assert set(owner) == set(self.model.sold)
        held_ga = sum(1 for u in holder if u.startswith("ga:"))
        sold_ga = sum(1 for u in owner if u.startswith("ga:"))
        assert held_ga + sold_ga + len(free) == CAPACITY
        # The O(1) counter the waiting room's sold-out pause reads agrees with the states.
        supply = await self.svc.supply(self.event)
        free_seats = sum(1 for st in seats.values() if st == "A")
        assert (supply.available, supply.holds) == (free_seats + len(free), len(holds))


def _has_run(free: list[str], n: int) -> bool:
    by_row: dict[str, list[int]] = {}
    for s in free:
        row, num = s.rsplit("-", 1)
        by_row.setdefault(row, []).append(int(num))
    for nums in by_row.values():
        nums.sort()
        run = 1
        for a, b in itertools.pairwise(nums):
            run = run + 1 if b == a + 1 else 1
            if run >= n:
                return True
        if n == 1 and nums:
            return True
    return False


def test_inventory_state_machine(settings: Settings, resources: Resources) -> None:
    InventoryMachine.settings_for_run = settings
    machine = settings_(InventoryMachine)
    machine.TestCase().runTest()


def settings_(machine: type[InventoryMachine]) -> type[InventoryMachine]:
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return machine
