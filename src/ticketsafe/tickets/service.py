"""Issuing, revoking and showing tickets.

Issuance runs in the worker when an order is announced paid (`orders.events`), never in
the checkout. It is idempotent by construction: a ticket's id is derived from its order
line, so a job run twice (or the reconciliation re-sending one that was only late) finds
the ids taken and issues nothing twice. Race with a refund: a refund announced while the
issuing job runs may revoke before the tickets exist; issuance therefore re-reads the
order after inserting and revokes what is no longer valid (the refund's own job does the
same after it), so whichever runs last leaves the right state.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.crypto.keyring import KeyRing
from ticketsafe.infra.mongodb import Database
from ticketsafe.orders.errors import OrderNotFound
from ticketsafe.orders.models import Order, OrderLine
from ticketsafe.orders.read_models import HOLDS_SALE, get_order
from ticketsafe.tickets import codes
from ticketsafe.tickets import repository as repo
from ticketsafe.tickets.errors import TicketNotFound
from ticketsafe.tickets.metrics import TICKETS_ISSUED
from ticketsafe.tickets.models import Ticket, TicketStatus, ticket_id_for
from ticketsafe.tickets.signing import EventKeys


@dataclass(frozen=True)
class LiveCredentials:
    """What only the holder's session receives: the signed code and the rotation secret
    (the app computes the one-time value itself), plus the live code as of now."""

    ticket: Ticket
    code: str
    secret: bytes
    live_code: str


class TicketService:
    def __init__(self, db: Database, keyring: KeyRing, keys: EventKeys | None = None) -> None:
        self.db = db
        self.keyring = keyring
        self.keys = keys or EventKeys(db, keyring)

    # -- issuance and revocation (worker) ----------------------------------------------

    async def issue_for_order(self, order_id: str) -> list[Ticket]:
        """One ticket per valid unit of a paid order; returns them if any was new."""
        order = await get_order(self.db, order_id)
        return [] if order is None else await self.issue(order)

    async def issue(self, order: Order) -> list[Ticket]:
        """`issue_for_order` for an order already read (its announcement's job). When
        any ticket was new (the first issuance), returns the order's tickets that admit
        as issued, so the caller need not read them back; else (issued before) none."""
        if order.status not in HOLDS_SALE:
            return []
        await self.keys.ensure(order.event_id, order.org_id)
        now = datetime.now(UTC)
        fresh = [self._new_ticket(order, line, now) for line in order.valid_lines()]
        new = await repo.insert_new(self.db, fresh)
        TICKETS_ISSUED.inc(new)
        # A refund that ran meanwhile may have found no tickets to revoke: read again.
        current = await get_order(self.db, order.id)
        if current is None:
            return []
        await self.revoke(current)
        if not new:
            return []
        if new < len(fresh):  # some were issued by an earlier try: as they stand now
            return [ticket for ticket in await self.of_order(current) if ticket.admits]
        valid = self._valid_lines(current)
        return [ticket for ticket in fresh if ticket.line_id in valid]

    def _new_ticket(self, order: Order, line: OrderLine, now: datetime) -> Ticket:
        ticket_id = ticket_id_for(order.id, line.line_id)
        return Ticket(
            id=ticket_id, event_id=order.event_id, org_id=order.org_id, order_id=order.id,
            line_id=line.line_id, holder_id=order.buyer_id,
            place=codes.place_of(line.seat_id, line.area_id),
            ticket_type_id=line.ticket_type_id,
            created_at=now,
        )  # fmt: skip

    async def revoke(self, order: Order) -> int:
        """Revoke the tickets of lines no longer valid (refunded), or all of them once the
        order holds no sale (refunded in full, cancelled, expired)."""
        valid = self._valid_lines(order)
        gone = [line.line_id for line in order.lines if line.line_id not in valid]
        if not gone:
            return 0
        ids = [ticket_id_for(order.id, line_id) for line_id in gone]
        return await repo.revoke(self.db, ids, datetime.now(UTC))

    @staticmethod
    def _valid_lines(order: Order) -> set[str]:
        """The lines whose tickets may admit: all valid ones while the order holds its sale."""
        return (
            {line.line_id for line in order.valid_lines()} if order.status in HOLDS_SALE else set()
        )

    # -- codes ----------------------------------------------------------------------------

    async def static_code(self, ticket: Ticket) -> str:
        claims = codes.TicketClaims(
            ticket.id, ticket.event_id, ticket.place, ticket.ticket_type_id, ticket.version
        )
        return codes.sign(await self.keys.private_key(ticket.event_id), claims)

    async def secret_of(self, ticket: Ticket) -> bytes:
        return await self.keys.ticket_secret(ticket.event_id, ticket.id, ticket.version)

    async def live_credentials(self, holder: Principal, ticket_id: str) -> LiveCredentials:
        ticket = await self.get_for_holder(holder, ticket_id)
        code = await self.static_code(ticket)
        secret = await self.secret_of(ticket)
        return LiveCredentials(ticket, code, secret, codes.live(code, secret, time.time()))

    # -- reads ----------------------------------------------------------------------------

    async def get(self, ticket_id: str) -> Ticket | None:
        return await repo.get(self.db, ticket_id)

    async def get_for_holder(self, holder: Principal, ticket_id: str) -> Ticket:
        ticket = await repo.get(self.db, ticket_id)
        if ticket is None or ticket.holder_id != holder.user_id:
            raise TicketNotFound()  # someone else's ticket does not exist for you
        return ticket

    async def of_holder(self, holder: Principal, after: str | None, limit: int) -> list[Ticket]:
        return await repo.page(self.db, {"holder_id": holder.user_id}, after, limit)

    async def of_order(self, order: Order) -> list[Ticket]:
        return await repo.by_ids(
            self.db, [ticket_id_for(order.id, ln.line_id) for ln in order.lines]
        )

    async def of_order_for_buyer(self, buyer: Principal, order_id: str) -> list[Ticket]:
        """The tickets of the buyer's order. A paid order without them (its announcement
        lost, a late payment the reconciliation's walk had passed) is issued now."""
        order = await get_order(self.db, order_id)
        if order is None or order.buyer_id != buyer.user_id:
            raise OrderNotFound()
        tickets = await self.of_order(order)
        if not tickets and order.status in HOLDS_SALE and order.valid_lines():
            await self.issue_for_order(order_id)
            tickets = await self.of_order(order)
        return tickets

    async def set_policy(
        self, event_id: str, org_id: str, static_codes: bool, transfer_limit: int
    ) -> None:
        await self.keys.ensure(event_id, org_id)
        await self.keys.set_policy(
            event_id, static_codes=static_codes, transfer_limit=transfer_limit
        )

    async def of_event(
        self, event_id: str, status: TicketStatus | None, after: str | None, limit: int
    ) -> list[Ticket]:
        query: dict[str, Any] = {"event_id": event_id}
        if status is not None:
            query["status"] = status.value
        return await repo.page(self.db, query, after, limit)

    # -- for check-in -----------------------------------------------------------------

    async def admit(
        self, ticket_id: str, event_id: str, version: int, *, gate: str, device: str,
        at: datetime, retry_key: str | None = None,
    ) -> bool:  # fmt: skip
        """Mark the ticket of `event_id` used at `version` (the scanned code's); False if
        it is not valid at that version and unused (another scan won, revoked,
        transferred). `retry_key`: the device's id for this scan (`earlier_try`)."""
        return await repo.mark_used(
            self.db, ticket_id, event_id, version, gate=gate, device=device, at=at,
            retry_key=retry_key,
        )  # fmt: skip

    async def earlier_try(
        self, ticket_id: str, device: str, retry_key: str
    ) -> tuple[datetime, str] | None:
        """(used at, gate) if the ticket's admission was `device`'s scan `retry_key`."""
        return await repo.earlier_try(self.db, ticket_id, device, retry_key)

    def valid_of_event(self, event_id: str) -> AsyncIterator[Ticket]:
        return repo.valid_of_event(self.db, event_id)

    async def admissions(self, event_id: str) -> list[tuple[str, datetime]]:
        return await repo.admissions_of_event(self.db, event_id)

    async def revoked_ids(self, event_id: str) -> list[str]:
        return await repo.revoked_of_event(self.db, event_id)
