"""Tickets on the buyer's `me` channel (orders are in `order_feed`; holds are published
by inventory itself, `inventory.live`, through `infra.live_publish`).

Messages of type `tickets` carry `change`: `issued` (the order's ticket
ids, after the worker issued them), `transferred_in` / `transferred_out` (a transfer was
accepted: the ticket's new holder, and its previous one).

A request never waits for these: transfers use `publish_soon`; issuance runs in the
worker, after the state has changed."""

from __future__ import annotations

from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.live_publish import publish_soon, publish_to_user
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.orders.models import Order
from ticketsafe.tickets.models import Ticket, ticket_id_for


async def tickets_issued(ctx: JobContext, order: Order) -> None:
    ids = [ticket_id_for(order.id, line.line_id) for line in order.valid_lines()]
    data = {"change": "issued", "order_id": order.id, "event_id": order.event_id,
            "ticket_ids": ids}  # fmt: skip
    await publish_to_user(ctx.redis, order.buyer_id, "tickets", data)


def ticket_transferred(redis: RedisClient, from_id: str, ticket: Ticket) -> None:
    base = {"ticket_id": ticket.id, "event_id": ticket.event_id, "version": ticket.version}
    publish_soon(redis, from_id, "tickets", {**base, "change": "transferred_out"})
    publish_soon(redis, ticket.holder_id, "tickets", {**base, "change": "transferred_in"})
