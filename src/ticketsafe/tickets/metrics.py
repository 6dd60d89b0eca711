"""Tickets issued (the worker, after an order is paid)."""

from __future__ import annotations

from prometheus_client import Counter

TICKETS_ISSUED = Counter("ticketsafe_tickets_issued_total", "Tickets issued for paid orders")
