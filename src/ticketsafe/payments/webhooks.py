"""The PSP webhooks' replay guard: each event id is stored once (in Redis, for a day:
far longer than the signature's tolerance window, `infra.signed_webhooks`, and applying
an event is itself idempotent — a payment only moves forward — so a forgotten id costs a
no-op, never a second capture)."""

from __future__ import annotations

from ticketsafe.infra.redisdb import RedisClient

SEEN_TTL_S = 86_400


def _seen_key(provider: str, event_id: str) -> str:
    return f"ts:webhooks:seen:{provider}:{event_id}"


async def remember_event(redis: RedisClient, provider: str, event_id: str) -> bool:
    """True the first time an event id is seen; False for any replay."""
    return bool(await redis.set(_seen_key(provider, event_id), b"1", nx=True, ex=SEEN_TTL_S))


async def forget_event(redis: RedisClient, provider: str, event_id: str) -> None:
    """Processing failed after remembering: let the PSP's retry be processed."""
    await redis.delete(_seen_key(provider, event_id))
