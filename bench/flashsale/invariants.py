"""After a run, count what must be zero: oversold, double-sold, lost orders, money
captured without a ticket.

Two ways to read the books, one tally (`Ledger`):
- `check`, from MongoDB (the system of record) when the bench started the deployment:
  also compares every paid order with the units the inventory holds for it, and finds
  captured money with no paid order: kept for an order that holds no live sale
  (cancelled, expired, refunded: `captured_without_ticket`), or for one still pending;
- `check_export`, from outside, for a deployment given by its URL: the organizer's
  attendee export (`GET /orgs/{org}/events/{event}/attendees.csv`, one row per ticket),
  the same export an organizer reconciles a sale with.

Both also hold the books to what buyers were told: an order a buyer saw paid must be
paid, with as many valid tickets as they were shown (`told_paid`: order id -> tickets).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.flashsale import http
from ticketsafe.infra.mongodb import Database

_HOLDING = ("paid", "pending_payment", "partially_refunded")
_NO_SALE = ("cancelled", "expired", "refunded")
_MONEY_HELD = ("captured", "partially_refunded")


@dataclass
class Ledger:
    """The tickets live orders hold, as the books show them."""

    seat_orders: Counter[str] = field(default_factory=Counter)  # seat -> live orders
    area_tickets: Counter[str] = field(default_factory=Counter)  # GA area -> tickets
    paid_tickets: dict[str, int] = field(default_factory=dict)  # paid order -> tickets

    def add(
        self, order_id: str, status: str, lines: Iterable[tuple[str | None, str | None]]
    ) -> Counter[str]:
        """One order and its valid lines as (seat id, GA area id); returns its units
        (a seat id, or "ga:" + area per ticket)."""
        units: Counter[str] = Counter()
        if status not in _HOLDING:
            return units
        for seat_id, area_id in lines:
            if seat_id:
                self.seat_orders[seat_id] += 1
                units[seat_id] += 1
            elif area_id:
                self.area_tickets[area_id] += 1
                units["ga:" + area_id] += 1
        if status == "paid":
            self.paid_tickets[order_id] = sum(units.values())
        return units

    def figures(
        self,
        capacity: Mapping[str, int],
        told_paid: Mapping[str, int],
        lost: int = 0,
        captured_without_ticket: int | None = None,
    ) -> dict[str, Any]:
        """The report's invariants; `lost` adds what only the caller could see, and
        `captured_without_ticket` is None where the payments could not be seen."""
        unconfirmed = sum(
            1 for order_id, n in told_paid.items() if self.paid_tickets.get(order_id) != n
        )
        return {
            "oversold": sum(max(0, n - capacity.get(a, 0)) for a, n in self.area_tickets.items()),
            "double_sold": sum(1 for n in self.seat_orders.values() if n > 1),
            "lost_orders": lost + unconfirmed,
            "captured_without_ticket": captured_without_ticket,
            "seats_sold": len(self.seat_orders),
            "ga_sold": sum(self.area_tickets.values()),
        }


async def check(
    db: Database,
    event_id: str,
    capacity: Mapping[str, int],
    told_paid: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """oversold: GA tickets beyond an area's capacity; double_sold: a seat on two live
    orders; lost_orders: paid orders whose units inventory does not hold for them,
    captured money for an order still pending, paid orders whose valid units do not each
    have exactly one valid ticket (or with a valid ticket for a unit no longer paid), and
    orders buyers were told were paid that the books do not show paid with those tickets;
    captured_without_ticket: payments holding money (captured, not refunded) for an order
    without a live sale. Called once the worker has drained its jobs (issuance)."""
    units_by_order: dict[str, Counter[str]] = {}
    async for unit in db["inventory_units"].find({"event_id": event_id}):
        key = (
            unit["unit"]
            if not str(unit["unit"]).startswith("ga:")
            else "ga:" + str(unit["unit"])[3:].rsplit(":", 1)[0]
        )
        units_by_order.setdefault(unit["order_id"], Counter())[key] += 1
    tickets = await _valid_tickets(db, event_id)
    ledger = Ledger()
    lost = 0
    async for order in db["orders"].find({"event_id": event_id, "status": {"$in": _HOLDING}}):
        lines = [(ln.get("seat_id"), ln.get("area_id")) for ln in order["lines"]
                 if ln["status"] == "valid"]  # fmt: skip
        want = ledger.add(order["_id"], order["status"], lines)
        if order["status"] != "pending_payment" and want != units_by_order.get(order["_id"]):
            lost += 1
        if order["status"] != "pending_payment":
            paid_lines = Counter(ln["line_id"] for ln in order["lines"] if ln["status"] == "valid")
            if tickets.pop(order["_id"], Counter()) != paid_lines:
                lost += 1  # a paid unit without exactly one valid ticket
    lost += len(tickets)  # valid tickets of orders holding no paid sale
    without_ticket = 0
    async for payment in db["payments"].find({"status": {"$in": _MONEY_HELD}}):
        held = payment["captured_cents"] - payment["refunded_cents"]
        owner = await db["orders"].find_one(
            {"_id": payment["order_id"], "event_id": event_id}, {"status": 1}
        )
        if held <= 0 or owner is None:
            continue
        if owner["status"] in _NO_SALE:
            without_ticket += 1
        elif owner["status"] == "pending_payment":
            lost += 1
    return ledger.figures(capacity, told_paid or {}, lost, without_ticket)


async def _valid_tickets(db: Database, event_id: str) -> dict[str, Counter[str]]:
    """order id -> valid tickets per order line."""
    found: dict[str, Counter[str]] = {}
    cursor = db["tickets"].find(
        {"event_id": event_id, "status": "valid"}, {"order_id": 1, "line_id": 1}
    )
    async for ticket in cursor:
        found.setdefault(ticket["order_id"], Counter())[ticket["line_id"]] += 1
    return found


async def check_export(
    client: http.Client,
    token: str,
    *,
    org_id: str,
    event_id: str,
    capacity: Mapping[str, int],
    told_paid: Mapping[str, int],
) -> dict[str, Any]:
    """The same figures from the organizer's attendee export (see module docstring).
    What only the database shows (units per order, captured payments) is not seen."""
    response = await client.get(
        f"/orgs/{org_id}/events/{event_id}/attendees.csv",
        headers={"authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return ledger_of_export(response.text).figures(capacity, told_paid)


def ledger_of_export(text: str) -> Ledger:
    """A `Ledger` from the attendee CSV (one row per ticket line, grouped by order)."""
    orders: dict[str, tuple[str, list[tuple[str | None, str | None]]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        status, lines = orders.setdefault(row["order_id"], (row["status"], []))
        if row["line_status"] == "valid":
            lines.append((row["seat_id"] or None, row["area_id"] or None))
    ledger = Ledger()
    for order_id, (status, lines) in orders.items():
        ledger.add(order_id, status, lines)
    return ledger
