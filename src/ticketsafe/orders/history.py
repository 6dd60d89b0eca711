"""What a buyer reads of their own orders: the list, each with its payment as
`GET /orders/{id}` shows it, and the order a hold became (the inventory asks, so that a
hold that is gone can say it was checked out)."""

from __future__ import annotations

import asyncio

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.pagination import Page
from ticketsafe.orders import repository as repo
from ticketsafe.orders.models import Order
from ticketsafe.orders.service import OrderService
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import Payment
from ticketsafe.payments.processors import ProviderContext


async def orders_of_buyer(
    orders: OrderService, buyer: Principal, *, cursor: str | None, limit: int
) -> Page[tuple[Order, Payment | None]]:
    """One page of the buyer's orders, newest first, with their payments (read together:
    the payments' reads of one turn go to MongoDB as one query)."""
    found = await repo.search(orders.db, buyer_id=buyer.user_id, cursor=cursor, limit=limit)
    ctx = orders.payments
    paid = await asyncio.gather(*(_payment(ctx, order) for order in found.items))
    return Page(list(zip(found.items, paid, strict=True)), found.next_cursor)


async def _payment(ctx: ProviderContext, order: Order) -> Payment | None:
    """As recorded, or the one its checkout started (a pending order records it with
    its next change of state)."""
    return await payments.find_payment(ctx, repo.payment_id_of(order))


class OrdersOfHolds:
    """`inventory.service.HoldOrders`: the order a buyer's hold became. One read by id
    (an order's id is derived from its hold's, see `repository.order_id_for`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, hold_id: str, buyer_id: str) -> str | None:
        order = await repo.by_hold(self._db, hold_id)
        return order.id if order is not None and order.buyer_id == buyer_id else None
