from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from ticketsafe.identity.deps import AccessDep, VaultDep
from ticketsafe.infra.deps import DbDep, JobsDep, RedisDep, SettingsDep
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.vault import PiiVault
from ticketsafe.inventory.deps import InventoryDep, inventory_for
from ticketsafe.orders.pricing import PriceBook
from ticketsafe.orders.service import OrderService
from ticketsafe.waitingroom.deps import WaitingRoomDep, waiting_room_of


def price_book_of(state: Any) -> PriceBook:
    """The app's one PriceBook (`app.state`), made on first use."""
    book: PriceBook | None = getattr(state, "price_book", None)
    if book is None:
        book = state.price_book = PriceBook()
    return book


async def get_price_book(request: Request) -> PriceBook:
    return price_book_of(request.app.state)


def order_service_for(state: Any, jobs: JobBuffer) -> OrderService:
    """An OrderService from the app's state (`app.state`): what `get_order_service`
    builds from dependencies, for the fast lane."""
    resources: Resources = state.resources
    return OrderService(
        resources.db, resources.redis, jobs, resources.settings,
        PiiVault(resources.db, state.keyring), inventory_for(resources), price_book_of(state),
        waiting_room_of(state), state.access.memberships,
    )  # fmt: skip


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
    access: AccessDep,
) -> OrderService:
    return OrderService(
        db, redis, jobs, settings, vault, inventory, prices, waiting_room, access.memberships
    )


OrdersDep = Annotated[OrderService, Depends(get_order_service)]
