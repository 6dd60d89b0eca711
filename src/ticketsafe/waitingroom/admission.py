"""The worker side of the waiting room: the draw at on-sale, grace-period sweeps and
admission steps. Needs no secrets: pseudonyms were computed at join time and the seed
lives in the queue's MongoDB record."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable

import orjson

from ticketsafe.infra import audit
from ticketsafe.infra.errors import Conflict
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.waitingroom import aimd, fairness
from ticketsafe.waitingroom.metrics import record_tick
from ticketsafe.waitingroom.repository import QueueRepository, QueueStore
from ticketsafe.waitingroom.schemas import AdmissionMode, QueueState, Stock, Supply

log = logging.getLogger("ticketsafe.waitingroom")

# What is left of an event, asked by the admission tick of every drawn queue (the
# composition root passes the inventory's answer in; the waiting room does not know it).
# None: the inventory is not ready to take holds (not provisioned, not yet open, or not
# answering), and then nobody is admitted: admission never runs ahead of provisioning.
SupplyProbe = Callable[[str], Awaitable[Stock | None]]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Admissions:
    def __init__(
        self,
        db: Database,
        redis: RedisClient,
        supply: SupplyProbe | None = None,
        *,
        cooldown_s: float = aimd.COOLDOWN_S,
    ) -> None:
        self._db = db
        self.repo = QueueRepository(db)
        self.store = QueueStore(redis)
        self._supply = supply
        self._cooldown_s = cooldown_s

    async def draw(self, event_id: str) -> int | None:
        """Shuffle the pre-queue once on-sale has come; None when not due or already done."""
        stored = await self.repo.get(event_id)
        if stored is None or stored.state is not QueueState.PRE:
            return None
        if _now_ms() < int(stored.config.on_sale_at.timestamp() * 1000):
            return None
        seed = bytes.fromhex(stored.seed_hex)
        pre = await self.store.pre_queue(event_id)
        by_pseudonym = {p: u for u, p in pre.items()}
        if len(by_pseudonym) != len(pre):
            raise Conflict("pseudonym collision in the pre-queue")  # ~2^-128; refuse to guess
        order = fairness.draw_order(seed, by_pseudonym)
        text = "\n".join(order)
        placed = await self.store.draw(
            event_id, stored.seed_hex, [by_pseudonym[p] for p in order], text
        )
        if placed < 0:
            # -1 already drawn; -2 Redis's clock not yet at on-sale; -3 the pre-queue
            # changed between our read and the script (a sweep): next tick retries.
            log.info("draw not done", extra={"event_id": event_id, "code": placed})
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()
        await self.repo.mark_drawn(event_id, placed, digest)
        await audit.record(
            self._db,
            actor="system:waitingroom",
            action="waitingroom.drawn",
            subject=f"event:{event_id}",
            data={"entrants": placed, "order_sha256": digest, "commitment": stored.commitment},
        )
        await self.store.publish(event_id, orjson.dumps({"type": "drawn", "entrants": placed}))
        log.info("waiting room drawn", extra={"event_id": event_id, "entrants": placed})
        return placed

    async def tick(self, max_batch: int = 5_000) -> dict[str, int]:
        """One admission round over every live queue: draw if due, sweep, pause or resume
        by what is left to buy, admit."""
        admitted: dict[str, int] = {}
        for event_id in await self.store.live_events():
            state, on_sale = await self.store.config_fields(event_id, "state", "on_sale_ms")
            due = state == QueueState.PRE.value and on_sale and _now_ms() >= int(on_sale)
            if due and await self.draw(event_id) is not None:
                state = QueueState.DRAWN.value
            abandoned = await self.store.sweep(event_id)
            batch = max_batch
            available = None
            if self._supply is not None and state == QueueState.DRAWN.value:
                stock = await self._supply(event_id)
                if stock is None:  # an admitted buyer could not hold: admit no one yet
                    admitted[event_id] = 0
                    await self._record(event_id, 0, abandoned, None)
                    continue
                await self._follow_supply(event_id, Supply.of_stock(stock))
                # Never more people in one step than units left: two seats coming back
                # let two people in, not the whole line (who would be refused).
                batch = min(batch, stock.available)
                available = stock.available
            if state == QueueState.DRAWN.value:
                await self.adapt(event_id)
            users = await self.store.admit(event_id, batch)
            if users:
                await self.store.publish(
                    event_id, orjson.dumps({"type": "admitted", "count": len(users)})
                )
            admitted[event_id] = len(users)
            await self._record(event_id, len(users), abandoned, available)
        return admitted

    async def _record(
        self, event_id: str, admitted: int, abandoned: int, available: int | None
    ) -> None:
        counters = await self.store.counters(event_id)
        record_tick(event_id, counters, admitted, abandoned, available)

    async def adapt(self, event_id: str) -> float | None:
        """In adaptive mode, one step of the admission controller (`aimd`): the rate
        the admission script spends from now on; None in the other modes."""
        mode, rate, low, high, target_ms, target = await self.store.config_fields(
            event_id, "mode", "rate", "rate_min", "rate_max", "latency_target_ms", "target"
        )
        if mode != AdmissionMode.ADAPTIVE.value:
            return None
        bounds = aimd.Bounds(
            float(low or 1), float(high or rate or 1), float(target_ms or 500), int(target or 1)
        )
        current, cut_ms = await self.store.adaptive_state(event_id)
        now = _now_ms()
        completed = await self.store.completions_since(event_id, now - aimd.PACE_WINDOW_MS)
        signal = aimd.Signal(
            aimd.latency_signal(await self.store.latencies(event_id), now, since_ms=cut_ms),
            await self.store.active_count(event_id),
            aimd.pace_per_minute(completed),
        )
        decision = aimd.next_rate(
            float(rate or 0) if current is None else current,
            signal,
            bounds,
            since_cut_s=(now - cut_ms) / 1000,
            cooldown_s=self._cooldown_s,
        )
        await self.store.set_adaptive_rate(
            event_id, decision.rate_per_minute, now if decision.cut else None
        )
        if decision.cut:
            log.info(
                "waiting room admission slowed",
                extra={"event_id": event_id, "rate": decision.rate_per_minute,
                       "checkout_ms": signal.latency_ms, "pace": signal.pace_per_minute},
            )  # fmt: skip
        return decision.rate_per_minute

    async def _follow_supply(self, event_id: str, supply: Supply) -> None:
        if await self.store.set_supply(event_id, supply):
            log.info("waiting room supply", extra={"event_id": event_id, "supply": supply.value})
            await self.store.publish(
                event_id, orjson.dumps({"type": "supply", "supply": supply.value})
            )
