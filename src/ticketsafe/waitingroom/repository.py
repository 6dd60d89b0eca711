"""Storage of the waiting room.

MongoDB (`waitingroom_queues`) is the record of each queue's configuration, seed
commitment and draw; Redis holds the live queue (keys in `keys.py`), changed only by the
Lua scripts in `scripts/`, each one atomic step. Losing Redis loses places in line, never
a sale: the configuration is re-primed from MongoDB on the next read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.typing import EncodableT, FieldT

from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.waitingroom.keys import EVENTS_INDEX, QueueKeys
from ticketsafe.waitingroom.schemas import QueueConfig, QueueState, Supply

COLLECTION = "waitingroom_queues"
_SCRIPTS = Path(__file__).parent / "scripts"


def _script(name: str, *preludes: str) -> str:
    parts = ["_now", *preludes, name]
    return "".join((_SCRIPTS / f"{part}.lua").read_text() for part in parts)


_SOURCES = {
    "join": _script("join", "_poll"),
    "status": _script("status", "_poll"),
    "draw": _script("draw", "_poll"),
    **{n: _script(n) for n in ("sweep", "admit", "checkout")},
}


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class StoredQueue:
    config: QueueConfig
    seed_hex: str
    commitment: str
    state: QueueState
    drawn_at: datetime | None = None
    # The organizer changed admission (`PATCH .../admission`): the catalog's settings,
    # applied again when the sale opens, no longer replace it.
    admission_by_organizer: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> StoredQueue:
        drawn = doc.get("drawn_at")
        return cls(
            config=QueueConfig.model_validate(doc["config"]),
            seed_hex=doc["seed"],
            commitment=doc["commitment"],
            state=QueueState(doc.get("state", QueueState.PRE)),
            drawn_at=drawn.replace(tzinfo=UTC) if drawn is not None else None,
            admission_by_organizer=bool(doc.get("admission_by_organizer", False)),
        )


class QueueRepository:
    """The MongoDB record of queues (one document per event)."""

    def __init__(self, db: Database) -> None:
        self._col = db[COLLECTION]

    async def get(self, event_id: str) -> StoredQueue | None:
        doc = await self._col.find_one({"_id": event_id})
        return StoredQueue.from_doc(doc) if doc is not None else None

    async def create_or_update(self, config: QueueConfig, seed_hex: str, commitment: str) -> None:
        """Upsert; the seed and commitment are set once, on first configuration."""
        await self._col.update_one(
            {"_id": config.event_id},
            {
                "$set": {"config": config.model_dump(mode="json"), "org_id": config.org_id},
                "$setOnInsert": {
                    "seed": seed_hex,
                    "commitment": commitment,
                    "state": QueueState.PRE.value,
                    "created_at": datetime.now(UTC),
                },
            },
            upsert=True,
        )

    async def update_config(self, config: QueueConfig, *, by_organizer: bool = False) -> None:
        """Store the configuration; `by_organizer`: its admission was set by the
        organizer (kept when the catalog configures the queue again)."""
        changes: dict[str, Any] = {"config": config.model_dump(mode="json")}
        if by_organizer:
            changes["admission_by_organizer"] = True
        await self._col.update_one({"_id": config.event_id}, {"$set": changes})

    async def mark_drawn(self, event_id: str, entrants: int, order_sha256: str) -> None:
        await self._col.update_one(
            {"_id": event_id, "state": QueueState.PRE.value},
            {
                "$set": {
                    "state": QueueState.DRAWN.value,
                    "drawn_at": datetime.now(UTC),
                    "entrants": entrants,
                    "order_sha256": order_sha256,
                }
            },
        )

    async def mark_closed(self, event_id: str) -> None:
        await self._col.update_one({"_id": event_id}, {"$set": {"state": QueueState.CLOSED.value}})


@dataclass(frozen=True)
class Pacing:
    """What a waiting browser is told (scripts/_poll.lua): ask again in `poll_after_s`;
    `estimated_wait_s` is None while no admission rate is known."""

    poll_after_s: float
    estimated_wait_s: int | None

    @classmethod
    def of(cls, poll_ms: Any, wait_s: Any) -> Pacing:
        wait = int(wait_s)
        return cls(int(poll_ms) / 1000, None if wait < 0 else wait)


@dataclass(frozen=True)
class JoinResult:
    code: int
    where: str
    rank: int
    on_sale_ms: int
    rate_per_minute: float
    pacing: Pacing
    supply: Supply


@dataclass(frozen=True)
class StatusResult:
    code: int
    value: str
    rate_per_minute: float
    on_sale_ms: int
    token_ttl_ms: int
    pacing: Pacing
    supply: Supply


class QueueStore:
    """The live queue in Redis. One script call per operation on the hot paths."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self._join = redis.register_script(_SOURCES["join"])
        self._status = redis.register_script(_SOURCES["status"])
        self._draw = redis.register_script(_SOURCES["draw"])
        self._sweep = redis.register_script(_SOURCES["sweep"])
        self._admit = redis.register_script(_SOURCES["admit"])
        self._checkout = redis.register_script(_SOURCES["checkout"])

    async def prime(self, stored: StoredQueue) -> None:
        """Write the configuration the scripts read (state only ever moves forward)."""
        cfg = stored.config
        k = QueueKeys(cfg.event_id)
        fields: dict[FieldT, EncodableT] = {
            "org_id": cfg.org_id,
            "on_sale_ms": _ms(cfg.on_sale_at),
            "opens_ms": _ms(cfg.pre_queue_opens_at),
            "mode": cfg.mode.value,
            "rate": cfg.rate_per_minute,
            "target": cfg.target_active,
            "rate_min": cfg.min_rate_per_minute,
            "rate_max": cfg.max_rate_per_minute,
            "latency_target_ms": cfg.checkout_latency_target_ms,
            "token_ttl_ms": int(cfg.token_ttl / timedelta(milliseconds=1)),
            "window_ms": int(cfg.shopping_window / timedelta(milliseconds=1)),
            "grace_ms": int(cfg.grace_period / timedelta(milliseconds=1)),
            "pow_bits": cfg.pow_difficulty,
            "seed": stored.seed_hex,
            "commitment": stored.commitment,
        }
        closed = stored.state is QueueState.CLOSED
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(k.cfg, mapping=fields)
            pipe.hsetnx(k.cfg, "state", stored.state.value)
            if closed:
                pipe.hset(k.cfg, "state", QueueState.CLOSED.value)
            await pipe.execute()
        # The index has a slot of its own on a cluster, so it cannot join the MULTI. It
        # follows the configuration: the tick never finds an event without one, and a
        # crash in between is mended by the next `configure` (idempotent).
        await (self.redis.srem if closed else self.redis.sadd)(EVENTS_INDEX, cfg.event_id)

    async def config_fields(self, event_id: str, *names: str) -> list[str | None]:
        values = await self.redis.hmget(QueueKeys(event_id).cfg, list(names))
        return [None if v is None else _s(v) for v in values]

    async def set_admission(self, cfg: QueueConfig) -> None:
        await self.redis.hset(
            QueueKeys(cfg.event_id).cfg,
            mapping={
                "mode": cfg.mode.value,
                "rate": cfg.rate_per_minute,
                "target": cfg.target_active,
                "rate_min": cfg.min_rate_per_minute,
                "rate_max": cfg.max_rate_per_minute,
                "latency_target_ms": cfg.checkout_latency_target_ms,
            },
        )

    async def record_latency(self, event_id: str, latency_ms: float, keep: int = 256) -> None:
        """One checkout's latency for the adaptive controller: the newest `keep` are kept
        (two commands, one round trip: the client pipelines them)."""
        key = QueueKeys(event_id).latency
        now_ms = int(time.time() * 1000)
        await self.redis.lpush(key, f"{now_ms}:{latency_ms:.1f}")
        await self.redis.ltrim(key, 0, keep - 1)

    async def latencies(self, event_id: str) -> list[tuple[int, float]]:
        """The recorded (at ms, latency ms) samples, newest first."""
        samples = []
        for raw in await self.redis.lrange(QueueKeys(event_id).latency, 0, -1):
            at, _, ms = _s(raw).partition(":")
            samples.append((int(at), float(ms)))
        return samples

    async def adaptive_state(self, event_id: str) -> tuple[float | None, int]:
        """(the controller's rate, None before its first tick; its last cut, ms)."""
        rate, cut = await self.redis.hmget(QueueKeys(event_id).stats, ["arate", "acut_ms"])
        return (None if rate is None else float(_s(rate))), int(_s(cut or b"0"))

    async def set_adaptive_rate(self, event_id: str, rate: float, cut_ms: int | None) -> None:
        fields: dict[FieldT, EncodableT] = {"arate": f"{rate:.3f}"}
        if cut_ms is not None:
            fields["acut_ms"] = cut_ms
        await self.redis.hset(QueueKeys(event_id).stats, mapping=fields)

    async def active_count(self, event_id: str) -> int:
        return int(
            await self.redis.zcount(QueueKeys(event_id).active, int(time.time() * 1000), "+inf")
        )

    async def completions_since(self, event_id: str, since_ms: int) -> int:
        """Checkouts completed since `since_ms` (the admission script keeps a minute)."""
        return int(await self.redis.zcount(QueueKeys(event_id).done, since_ms, "+inf"))

    async def set_supply(self, event_id: str, supply: Supply) -> bool:
        """Record what is left (the admission tick is its only writer); True if changed."""
        key = QueueKeys(event_id).cfg
        if Supply.of(_s(await self.redis.hget(key, "supply") or b"")) is supply:
            return False
        await self.redis.hset(key, "supply", supply.stored)
        return True

    async def close(self, event_id: str, keep_s: int = 86_400) -> None:
        """Closed: no more joins or admissions; the live keys expire after `keep_s`
        (the MongoDB record and the published draw stay)."""
        k = QueueKeys(event_id)
        live = [k.pre, k.queue, k.seen, k.admitted, k.active, k.seq, k.stats, k.done, k.latency]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(k.cfg, "state", QueueState.CLOSED.value)
            for key in [k.cfg, *live]:
                pipe.expire(key, keep_s)
            await pipe.execute()
        await self.redis.srem(EVENTS_INDEX, event_id)  # after: see `configure`

    async def join(
        self, event_id: str, user_id: str, pseudonym: str, nonce: str, nonce_ttl_ms: int
    ) -> JoinResult:
        k = QueueKeys(event_id)
        keys = [k.cfg, k.pre, k.queue, k.seen, k.admitted, k.seq, k.stats, k.pow_nonce(nonce)]
        code, where, rank, on_sale, rate, poll, wait, supply = await self._join(
            keys=keys, args=[user_id, pseudonym, nonce_ttl_ms]
        )
        return JoinResult(
            int(code), _s(where), int(rank), int(on_sale), int(rate) / 1000,
            Pacing.of(poll, wait), Supply.of(_s(supply)),
        )  # fmt: skip

    async def status(self, event_id: str, user_id: str) -> StatusResult:
        k = QueueKeys(event_id)
        keys = [k.cfg, k.pre, k.queue, k.seen, k.admitted, k.stats]
        code, value, rate, on_sale, ttl, poll, wait, supply = await self._status(
            keys=keys, args=[user_id]
        )
        return StatusResult(
            int(code), _s(value), int(rate) / 1000, int(on_sale), int(ttl),
            Pacing.of(poll, wait), Supply.of(_s(supply)),
        )  # fmt: skip

    async def pre_queue(self, event_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(QueueKeys(event_id).pre)
        return {_s(u): _s(p) for u, p in raw.items()}

    async def draw(self, event_id: str, seed_hex: str, users: list[str], order_text: str) -> int:
        k = QueueKeys(event_id)
        keys = [k.cfg, k.pre, k.queue, k.draw, k.seen]
        return int(await self._draw(keys=keys, args=[len(users), seed_hex, order_text, *users]))

    async def drawn_order(self, event_id: str) -> list[str] | None:
        raw = await self.redis.get(QueueKeys(event_id).draw)
        if raw is None:
            return None
        text = _s(raw)
        return text.split("\n") if text else []

    async def sweep(self, event_id: str, limit: int = 5_000) -> int:
        k = QueueKeys(event_id)
        return int(await self._sweep(keys=[k.queue, k.seen, k.stats], args=[limit]))

    async def admit(self, event_id: str, max_batch: int) -> list[str]:
        k = QueueKeys(event_id)
        keys = [k.cfg, k.queue, k.seen, k.admitted, k.active, k.stats, k.done]
        return [_s(u) for u in await self._admit(keys=keys, args=[max_batch])]

    async def checkout(self, event_id: str, user_id: str, *, completed: bool) -> bool:
        k = QueueKeys(event_id)
        keys = [k.active, k.done, k.stats]
        return bool(await self._checkout(keys=keys, args=[user_id, "1" if completed else "0"]))

    async def live_events(self) -> list[str]:
        return sorted(_s(e) for e in await self.redis.smembers(EVENTS_INDEX))

    async def counters(self, event_id: str) -> dict[str, int]:
        k = QueueKeys(event_id)
        now_ms = int(time.time() * 1000)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(k.queue)
            pipe.hlen(k.pre)
            pipe.zcount(k.active, now_ms, "+inf")
            pipe.zcount(k.done, now_ms - 60_000, "+inf")
            pipe.hgetall(k.stats)
            qlen, plen, active, done, stats = await pipe.execute()
        raw = {_s(f): _s(v) for f, v in stats.items()}
        return {
            "queue_length": int(qlen),
            "pre_queue_length": int(plen),
            "active": int(active),
            "completions_last_minute": int(done),
            "joined": int(raw.get("joined", 0)),
            "admitted": int(raw.get("admitted", 0)),
            "abandoned": int(raw.get("abandoned", 0)),
            "measured_rate": int(float(raw.get("measured_rate", 0))),
        }

    async def publish(self, event_id: str, message: bytes) -> None:
        await self.redis.publish(QueueKeys(event_id).channel, message)
