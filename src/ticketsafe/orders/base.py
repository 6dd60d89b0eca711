"""The order service's shared part: its clients, the reads, and the writes every path
makes (a guarded update, leaving `pending_payment` unpaid)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.principal import Principal
from ticketsafe.infra import audit
from ticketsafe.infra.errors import NotFound
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault
from ticketsafe.inventory.models import SaleItems
from ticketsafe.inventory.service import InventoryService
from ticketsafe.orders import repository as repo
from ticketsafe.orders.errors import (
    OrderNotFound,
    PriceChanged,
    QuotaExhausted,
)
from ticketsafe.orders.events import OrderEvent, announce
from ticketsafe.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    check_transition,
    entry,
)
from ticketsafe.orders.pricing import PriceBook, limited_types
from ticketsafe.payments import service as payments
from ticketsafe.payments.brcode import qr_svg
from ticketsafe.payments.models import Payment
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.waitingroom.service import WaitingRoom

log = logging.getLogger("ticketsafe.orders")


def payment_found(payment: Payment) -> dict[str, Any]:
    """What an order records of its checkout's payment: the sale stands (a payment is
    started only after the sale was committed) and which payment it is. Recorded with
    the order's next change of state (paid, cancelled, expired), never in a write of
    its own: until then the payment is found by the id derived from the order
    (`repository.payment_id_of`), and a pending order needs no second write."""
    return {"sale_committed": True, "payment_id": payment.id}


class OrderChanged(PriceChanged):
    code = "order_changed_concurrently"
    title = "The order changed meanwhile; retry"


@dataclass
class OrderBase:
    """What every part of the order service shares: its clients, reads and the
    writes every path makes (`_set`, `_abandon`)."""

    db: Database
    redis: RedisClient
    jobs: JobBuffer
    settings: Settings
    http: httpx.AsyncClient  # the processors' way to their PSPs
    vault: PiiVault
    inventory: InventoryService
    prices: PriceBook
    waiting_room: WaitingRoom | None = None
    # Live memberships: who may give courtesy tickets (checkouts only; jobs never check out).
    memberships: MembershipCache | None = None

    @property
    def payments(self) -> ProviderContext:
        return ProviderContext(self.db, self.redis, self.jobs, self.settings, self.http)

    async def get_for_buyer(self, buyer: Principal, order_id: str) -> Order:
        order = await repo.get(self.db, order_id)
        if order is None or order.buyer_id != buyer.user_id:
            raise OrderNotFound()  # someone else's order does not exist for you
        return order

    async def get_for_organizer(self, organizer: Principal, order_id: str) -> Order:
        order = await repo.get(self.db, order_id)
        if order is None or not organizer.member_of(order.org_id):
            raise OrderNotFound()
        return order

    async def pix_qr_svg(self, buyer: Principal, order_id: str) -> str:
        order = await self.get_for_buyer(buyer, order_id)
        payment = await self.payment_of(order)
        payload = payment.instructions.get("pix_copia_e_cola") if payment else None
        if payload is None:
            raise NotFound("this order has no PIX code", code="pix_code_not_found")
        return qr_svg(payload)

    async def payment_of(self, order: Order) -> Payment | None:
        """The order's payment: as recorded, or the one its checkout started (a pending
        order records it only with its next change of state); None before its checkout
        started one."""
        return await payments.find_payment(self.payments, repo.payment_id_of(order))

    async def _payment(self, order: Order) -> Payment:
        assert order.payment_id is not None
        return await payments.get_payment(self.payments, order.payment_id)

    async def _view(self, order: Order) -> EventSalesView:
        return await get_sales_view(self.db, order.event_id)

    async def _take_quotas(self, event_id: str, quotas: dict[str, tuple[int, int]]) -> None:
        taken: dict[str, tuple[int, int]] = {}
        for type_id, (n, quota) in quotas.items():
            if not await repo.take_quota(self.db, event_id, type_id, n, quota):
                await self._return_quotas(event_id, taken)
                raise QuotaExhausted(ticket_type_id=type_id)
            taken[type_id] = (n, quota)

    async def _return_quotas(self, event_id: str, quotas: dict[str, tuple[int, int]]) -> None:
        for type_id, (n, _) in quotas.items():
            await repo.return_quota(self.db, event_id, type_id, n)

    async def _abandon(
        self,
        order: Order,
        status: OrderStatus,
        reason: str,
        actor: str = "system",
        fields: dict[str, Any] | None = None,
    ) -> Order:
        """Leave pending_payment without being paid: the sale and quotas go back."""
        check_transition(order.status, status)
        audited = entry(actor, f"order.{status.value}", reason, audit_data(order.event_id))
        order = await self._set(order, {**(fields or {}), "status": status.value}, audited)
        announce(self.jobs, OrderEvent(f"order_{status.value}"), order.id)
        # Whatever `sale_committed` says: a crash between committing the sale and
        # flagging it must not strand sold units (releasing nothing is a no-op).
        await self.inventory.release_sale(order.id)
        await self._return_quotas(
            order.event_id, limited_types(await self._view(order), order.lines)
        )
        return order

    async def _set(
        self, order: Order, fields: dict[str, Any], audited: dict[str, Any] | None = None
    ) -> Order:
        updated = await repo.update_guarded(self.db, order, fields, audited)
        if updated is None:
            raise OrderChanged()
        return updated

    async def _audit(
        self,
        order: Order,
        actor: str,
        action: str,
        reason: str | None,
        data: dict[str, Any] | None = None,
    ) -> None:
        await audit.record(
            self.db, actor=actor, action=action, subject=order.id, reason=reason,
            data={"event_id": order.event_id, "status": order.status.value, **(data or {})},
        )  # fmt: skip


def audit_data(event_id: str, **data: Any) -> dict[str, Any]:
    return {"event_id": event_id, **data}


def sale_items(lines: list[OrderLine]) -> SaleItems:
    ga: dict[str, int] = {}
    for line in lines:
        if line.area_id:
            ga[line.area_id] = ga.get(line.area_id, 0) + 1
    return SaleItems(seats=[line.seat_id for line in lines if line.seat_id], ga=ga)
