"""Holds on the buyer's live `me` channel (`infra.live_publish`; realtime serves it).

Messages of type `hold` carry `change`: `created` (with `expires_at_ms`, the countdown's
end), `extended` (the new `expires_at_ms`), `released` (by the buyer) or `expired` (by the
worker's sweep). A request never waits for them (`publish_soon`); expiry is published by
the worker after the sweep released the holds."""

from __future__ import annotations

from ticketsafe.infra.live_publish import publish_soon, publish_to_user
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.inventory.models import Hold
from ticketsafe.inventory.service import SweepReport


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
