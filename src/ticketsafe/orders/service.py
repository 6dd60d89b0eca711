"""The order service: checkout (`checkout`), settlement (`settlement`) and refunds
(`refunds`) over their shared part (`base`), as the one service callers are handed."""

from __future__ import annotations

from ticketsafe.orders.base import OrderChanged
from ticketsafe.orders.checkout import PAYMENT_WINDOW, Checkout
from ticketsafe.orders.refunds import Refunds

__all__ = ["PAYMENT_WINDOW", "OrderChanged", "OrderService"]


class OrderService(Checkout, Refunds):
    """Orders from checkout to refund; built once per process (`ticketsafe.services`)."""
