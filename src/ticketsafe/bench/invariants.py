"""After a run, read MongoDB (the system of record) and count what must be zero."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ticketsafe.infra.mongodb import Database

_HOLDING = ("paid", "pending_payment", "partially_refunded")


async def check(db: Database, event_id: str, capacity: dict[str, int]) -> dict[str, Any]:
    """oversold: GA tickets beyond an area's capacity; double_sold: a seat on two live
    orders; lost_orders: paid orders whose units inventory does not hold for them, plus
    captured money with no paid order ("paid but no ticket")."""
    seat_orders: Counter[str] = Counter()
    area_tickets: Counter[str] = Counter()
    lost = 0
    units_by_order: dict[str, Counter[str]] = {}
    async for unit in db["inventory_units"].find({"event_id": event_id}):
        key = (
            unit["unit"]
            if not str(unit["unit"]).startswith("ga:")
            else "ga:" + str(unit["unit"])[3:].rsplit(":", 1)[0]
        )
        units_by_order.setdefault(unit["order_id"], Counter())[key] += 1
    async for order in db["orders"].find({"event_id": event_id, "status": {"$in": _HOLDING}}):
        want: Counter[str] = Counter()
        for line in order["lines"]:
            if line["status"] != "valid":
                continue
            if line.get("seat_id"):
                seat_orders[line["seat_id"]] += 1
                want[line["seat_id"]] += 1
            else:
                area_tickets[line["area_id"]] += 1
                want["ga:" + line["area_id"]] += 1
        if order["status"] != "pending_payment" and want != units_by_order.get(order["_id"]):
            lost += 1
    paid_ids = {o["_id"] async for o in db["orders"].find({"event_id": event_id, "status": "paid"})}
    async for payment in db["payments"].find({"status": "captured"}):
        if payment["order_id"] not in paid_ids and await db["orders"].count_documents(
            {"_id": payment["order_id"], "event_id": event_id}
        ):
            lost += 1
    oversold = sum(max(0, n - capacity.get(a, 0)) for a, n in area_tickets.items())
    return {
        "oversold": oversold,
        "double_sold": sum(1 for n in seat_orders.values() if n > 1),
        "lost_orders": lost,
        "seats_sold": len(seat_orders),
        "ga_sold": sum(area_tickets.values()),
    }
