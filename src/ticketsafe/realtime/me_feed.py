"""Holds and tickets on the buyer's `me` channel (orders are in `order_feed`).

Messages of type `hold` carry `change`: `created` (with `expires_at_ms`, the countdown's
end), `extended` (the new `expires_at_ms`), `released` (by the buyer) or `expired` (by the
worker's sweep). Messages of type `tickets` carry `change`: `issued` (the order's ticket
ids, after the worker issued them), `transferred_in` / `transferred_out` (a transfer was
accepted: the ticket's new holder, and its previous one).

A request never waits for these: holds and transfers use `publish_soon`; issuance and
expiry run in the worker, after the state has changed."""

from __future__ import annotations

from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.inventory.models import Hold
from ticketsafe.inventory.service import SweepReport
from ticketsafe.orders.read_models import get_order
from ticketsafe.realtime.publish import publish_soon, publish_to_user
from ticketsafe.tickets.models import Ticket, ticket_id_for


def hold_changed(redis: RedisClient, hold: Hold, change: str) -> None:
    publish_soon(redis, hold.buyer_id, "hold", {
        "change": change, "hold_id": hold.hold_id, "event_id": hold.event_id,
        "expires_at_ms": hold.expires_at_ms, "extended": hold.extended,
        "seats": hold.seats, "ga": hold.ga,
    })  # fmt: skip


def hold_released(redis: RedisClient, buyer_id: str, event_id: str, hold_id: str) -> None:
    data = {"change": "released", "hold_id": hold_id, "event_id": event_id}
    publish_soon(redis, buyer_id, "hold", data)


async def holds_expired(redis: RedisClient, report: SweepReport) -> None:
    for gone in report.expired:
        data = {"change": "expired", "hold_id": gone.hold_id, "event_id": gone.event_id}
        await publish_to_user(redis, gone.buyer_id, "hold", data)


async def tickets_issued(ctx: JobContext, order_id: str) -> None:
    order = await get_order(ctx.db, order_id)
    if order is None:
        return
    ids = [ticket_id_for(order.id, line.line_id) for line in order.valid_lines()]
    data = {"change": "issued", "order_id": order.id, "event_id": order.event_id,
            "ticket_ids": ids}  # fmt: skip
    await publish_to_user(ctx.redis, order.buyer_id, "tickets", data)


def ticket_transferred(redis: RedisClient, from_id: str, ticket: Ticket) -> None:
    base = {"ticket_id": ticket.id, "event_id": ticket.event_id, "version": ticket.version}
    publish_soon(redis, from_id, "tickets", {**base, "change": "transferred_out"})
    publish_soon(redis, ticket.holder_id, "tickets", {**base, "change": "transferred_in"})
