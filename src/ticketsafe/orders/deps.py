from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.identity.deps import VaultDep
from ticketsafe.infra.deps import DbDep, JobsDep, RedisDep, SettingsDep
from ticketsafe.inventory.deps import InventoryDep
from ticketsafe.orders.pricing import PriceBook
from ticketsafe.orders.service import OrderService
from ticketsafe.waitingroom.deps import WaitingRoomDep


async def get_price_book(request: Request) -> PriceBook:
    book: PriceBook | None = getattr(request.app.state, "price_book", None)
    if book is None:
        book = request.app.state.price_book = PriceBook()
    return book


async def get_order_service(
    *,
    db: DbDep,
    redis: RedisDep,
    jobs: JobsDep,
    settings: SettingsDep,
    vault: VaultDep,
    inventory: InventoryDep,
    prices: Annotated[PriceBook, Depends(get_price_book)],
    waiting_room: WaitingRoomDep,
) -> OrderService:
    return OrderService(db, redis, jobs, settings, vault, inventory, prices, waiting_room)


OrdersDep = Annotated[OrderService, Depends(get_order_service)]
