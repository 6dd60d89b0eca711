"""The inventory's instruments: holds taken, given back, expired and refused, and the
oversell detector (units sold beyond capacity, read from MongoDB by the worker; anything
but 0 is an incident, `deploy/prometheus/rules/ticketsafe-alerts.yml`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

HOLDS_CREATED = Counter("ticketsafe_holds_created_total", "Holds taken", ["kind"])
HOLD_UNITS = Counter("ticketsafe_hold_units_total", "Seats and GA units put on hold")
HOLDS_RELEASED = Counter("ticketsafe_holds_released_total", "Holds given back by their buyer")
HOLDS_EXPIRED = Counter("ticketsafe_holds_expired_total", "Holds released by the expiry sweep")
HOLD_REFUSALS = Counter(
    "ticketsafe_hold_refusals_total", "Hold requests refused, by reason", ["reason"]
)
REFUSAL_REASONS = (
    "buyer_limit", "seats_taken", "sold_out", "no_adjacent_seats", "unknown_units", "not_open",
)  # fmt: skip
for _reason in REFUSAL_REASONS:  # present (at 0) before the first refusal
    HOLD_REFUSALS.labels(_reason)
OVERSOLD_UNITS = Gauge(
    "ticketsafe_inventory_oversold_units",
    "Units sold beyond capacity, summed over events (from the store; must be 0)",
)
OVERSELL_CHECKED = Gauge(
    "ticketsafe_inventory_oversell_checked_timestamp_seconds",
    "When the oversell detector last read the store",
)
