"""Sales as they happen: orders paid, tickets sold and revenue, by event (capped:
`infra.metric_labels`). Counted where an order turns paid (a guarded write: a retry or
a race that loses counts nothing)."""

from __future__ import annotations

from prometheus_client import Counter

from ticketsafe.infra.metric_labels import event_label

ORDERS_PAID = Counter("ticketsafe_orders_paid_total", "Orders paid", ["event"])
TICKETS_SOLD = Counter("ticketsafe_tickets_sold_total", "Tickets sold (paid orders)", ["event"])
REVENUE = Counter(
    "ticketsafe_revenue_minor_units_total",
    "Revenue of paid orders in the currency's minor units (centavos)",
    ["event", "currency"],
)


def record_paid(event_id: str, tickets: int, total_minor: int, currency: str) -> None:
    event = event_label(event_id)
    ORDERS_PAID.labels(event).inc()
    TICKETS_SOLD.labels(event).inc(tickets)
    REVENUE.labels(event, currency).inc(total_minor)
