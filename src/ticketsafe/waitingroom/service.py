"""The waiting room's business rules. Other domains call only this module:

- `WaitingRoom.configure_queue(config)`          catalog, when an event with a queue is published
- `WaitingRoom.queue_active(event_id)`            inventory, before a hold
- `WaitingRoom.verify_admission(event_id, principal, token)`   inventory, when active
- `WaitingRoom.require_admission(event_id, principal, token)`  both of the above in one call
- `WaitingRoom.record_checkout_completed(event_id, user_id)`   orders, after payment
- `WaitingRoom.record_shopper_left(event_id, user_id)`         inventory/orders, hold released
- `WaitingRoom.record_checkout_latency(event_id, seconds)`     orders, after a checkout

The process has one (`ticketsafe.services`); take `WaitingRoomDep` in an endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from ticketsafe.identity.principal import Principal
from ticketsafe.infra import audit
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.ratelimit import Rate, RateLimiter
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import RateLimits
from ticketsafe.waitingroom import aimd, fairness
from ticketsafe.waitingroom.admission_token import AdmissionTokenCodec
from ticketsafe.waitingroom.errors import (
    AdmissionInvalid,
    AdmissionRequired,
    ChallengeReused,
    QueueClosed,
    QueueConfigRejected,
    QueueNotFound,
    QueueNotOpen,
)
from ticketsafe.waitingroom.proof_of_work import ProofOfWork
from ticketsafe.waitingroom.repository import Pacing, QueueRepository, QueueStore, StoredQueue
from ticketsafe.waitingroom.schemas import (
    AdmissionMode,
    AdmissionUpdate,
    ChallengeOut,
    DrawOut,
    JoinIn,
    PlaceState,
    QueueConfig,
    QueueState,
    QueueStats,
    QueueStatus,
    Supply,
)

log = logging.getLogger("ticketsafe.waitingroom")

# Challenges are the rate-limited resource: a join needs a fresh one, so limiting their
# issue per IP and per account limits joins without a second script on the join path.
NO_QUEUE_TTL_S = 5.0
# How long a process trusts what it read of a live queue's gate (state, pre-queue
# opening) before reading it again: a hold then costs one Redis round trip (the hold
# itself), not two. Another instance closing the queue is seen within this; this
# instance's own close or reconfiguration at once.
GATE_TTL_S = 1.0
# Defaults of the challenge limits (`Settings.rate_limits` sets them for the app).
CHALLENGE_RATE_PER_IP = RateLimits().challenge_per_ip
CHALLENGE_RATE_PER_ACCOUNT = RateLimits().challenge_per_account


def derive_key(secret: bytes, purpose: str) -> bytes:
    """The waiting room's sub-keys (pow, admission, pseudonym) from the auth secret."""
    return hmac.new(secret, f"ticketsafe/waitingroom/{purpose}".encode(), hashlib.sha256).digest()


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _now_ms() -> int:
    return int(time.time() * 1000)


class WaitingRoom:
    def __init__(
        self,
        db: Database,
        redis: RedisClient,
        secret: bytes,
        *,
        rate_per_ip: Rate = CHALLENGE_RATE_PER_IP,
        rate_per_account: Rate = CHALLENGE_RATE_PER_ACCOUNT,
    ) -> None:
        self._db = db
        self.repo = QueueRepository(db)
        self.store = QueueStore(redis)
        self.pow = ProofOfWork(derive_key(secret, "pow"))
        self.tokens = AdmissionTokenCodec(derive_key(secret, "admission"))
        self._pseudonym_key = derive_key(secret, "pseudonym")
        self._limiter = RateLimiter(redis)
        self._rate_per_ip = rate_per_ip
        self._rate_per_account = rate_per_account
        # Events known to have no waiting room, until a monotonic deadline: spares the
        # hold hot path a MongoDB read per request (see `queue_active`).
        self._no_queue_until: dict[str, float] = {}
        # event id -> (read until, closed, pre-queue opens ms) of a live queue.
        self._gates: dict[str, tuple[float, bool, int]] = {}

    @classmethod
    def from_resources(cls, resources: Resources) -> WaitingRoom:
        secret = resources.settings.auth_secret
        assert secret is not None  # Resources.open refuses to start without it
        limits = resources.settings.rate_limits
        return cls(
            resources.db,
            resources.redis,
            secret.get_secret_value().encode(),
            rate_per_ip=limits.challenge_per_ip,
            rate_per_account=limits.challenge_per_account,
        )

    def pseudonym(self, event_id: str, user_id: str) -> str:
        return fairness.pseudonym(self._pseudonym_key, event_id, user_id)

    # -- configuration (catalog) ------------------------------------------------------

    async def configure_queue(self, config: QueueConfig, *, actor: str = "system") -> StoredQueue:
        """Create or update an event's queue; idempotent. The seed (and so the published
        commitment) is fixed at creation; on-sale time cannot move once drawn."""
        self._no_queue_until.pop(config.event_id, None)
        self._gates.pop(config.event_id, None)
        existing = await self.repo.get(config.event_id)
        if existing is not None and existing.state is not QueueState.PRE:
            if existing.config.on_sale_at != config.on_sale_at:
                raise QueueConfigRejected("the draw has happened; on-sale time cannot change")
            if existing.config.org_id != config.org_id:
                raise QueueConfigRejected("the queue belongs to another organization")
        if existing is not None and existing.admission_by_organizer:
            kept = {name: getattr(existing.config, name) for name in AdmissionUpdate.model_fields}
            config = config.model_copy(update=kept)
        if existing is None:
            seed = fairness.new_seed()
            await self.repo.create_or_update(config, seed.hex(), fairness.commitment(seed))
        else:
            await self.repo.update_config(config)
        stored = await self.repo.get(config.event_id)
        assert stored is not None
        await self.store.prime(stored)
        if existing is not None and existing.config.on_sale_at != config.on_sale_at:
            # The pre-queue is told: statuses carry the new time from now on, and open
            # status streams wake up and push it.
            moved = {"type": "rescheduled", "on_sale_at": config.on_sale_at.isoformat()}
            await self.store.publish(config.event_id, orjson.dumps(moved))
        await audit.record(
            self._db,
            actor=actor,
            action="waitingroom.configured",
            subject=f"event:{config.event_id}",
            data={"config": config.model_dump(mode="json"), "commitment": stored.commitment},
        )
        return stored

    async def _queue(self, event_id: str) -> StoredQueue:
        stored = await self.repo.get(event_id)
        if stored is None:
            raise QueueNotFound(f"event {event_id} has no waiting room")
        return stored

    async def _reprime(self, event_id: str) -> None:
        """Redis lost the queue (flush, failover): restore its configuration from MongoDB."""
        stored = await self._queue(event_id)
        log.warning("waiting room re-primed from MongoDB", extra={"event_id": event_id})
        await self.store.prime(stored)

    # -- buyers -----------------------------------------------------------------------

    async def issue_challenge(
        self, event_id: str, principal: Principal, client_ip: str
    ) -> ChallengeOut:
        await self._limiter.hit(f"wr:chal:ip:{client_ip}", self._rate_per_ip, what="challenges")
        await self._limiter.hit(
            f"wr:chal:acct:{principal.user_id}", self._rate_per_account, what="challenges"
        )
        state, bits = await self.store.config_fields(event_id, "state", "pow_bits")
        if state is None:
            await self._reprime(event_id)
            state, bits = await self.store.config_fields(event_id, "state", "pow_bits")
        if state == QueueState.CLOSED.value:
            raise QueueClosed()
        difficulty = int(bits or 0)
        challenge = self.pow.issue(event_id, principal.user_id, difficulty)
        return ChallengeOut(challenge=challenge, difficulty=difficulty, expires_in_s=self.pow.ttl_s)

    async def join(self, event_id: str, principal: Principal, body: JoinIn) -> QueueStatus:
        """One place per account: joining again returns the same place."""
        user = principal.user_id
        challenge = self.pow.verify(body.challenge, body.solution, event_id, user)
        pseudo = self.pseudonym(event_id, user)
        ttl_ms = max(1_000, challenge.expires_ms - _now_ms() + 1_000)
        result = await self.store.join(event_id, user, pseudo, challenge.nonce, ttl_ms)
        if result.code == -1:
            await self._reprime(event_id)
            result = await self.store.join(event_id, user, pseudo, challenge.nonce, ttl_ms)
        if result.code == -2:
            raise QueueNotOpen("the pre-queue is not open yet")
        if result.code == -3:
            raise QueueClosed()
        if result.code == -4:
            raise ChallengeReused()
        if result.where == "adm":
            return await self.status(event_id, principal)
        on_sale = _dt(result.on_sale_ms)
        if result.where == "pre":
            return QueueStatus(
                event_id=event_id, state=PlaceState.PRE_QUEUE, on_sale_at=on_sale,
                pseudonym=pseudo, poll_after_s=result.pacing.poll_after_s,
            )  # fmt: skip
        return self._queued(
            event_id, result.rank, result.rate_per_minute, on_sale,
            pacing=result.pacing, supply=result.supply,
        )  # fmt: skip

    def _queued(
        self,
        event_id: str,
        rank: int,
        rate: float,
        on_sale: datetime,
        *,
        pacing: Pacing,
        supply: Supply,
    ) -> QueueStatus:
        return QueueStatus(
            event_id=event_id,
            state=PlaceState.QUEUED,
            position=rank + 1,
            people_ahead=rank,
            estimated_wait_s=pacing.estimated_wait_s,
            rate_per_minute=rate,
            on_sale_at=on_sale,
            supply=supply,
            poll_after_s=pacing.poll_after_s,
        )

    async def status(self, event_id: str, principal: Principal) -> QueueStatus:
        """The caller's place; also the check-in that keeps it (until the next one is
        overdue by the grace period)."""
        user = principal.user_id
        result = await self.store.status(event_id, user)
        if result.code == -1:
            await self._reprime(event_id)
            result = await self.store.status(event_id, user)
        on_sale = _dt(result.on_sale_ms)
        if result.code == 4:  # admitted, token expired: no token, say what to do next
            admitted_ms = int(result.value)
            return QueueStatus(
                event_id=event_id,
                state=PlaceState.ADMISSION_EXPIRED,
                rate_per_minute=result.rate_per_minute,
                on_sale_at=on_sale,
                admitted_at=_dt(admitted_ms),
                admission_expires_at=_dt(admitted_ms + result.token_ttl_ms),
                supply=result.supply,
                next_step="your admission expired unused; join again for a new place at "
                "the back of the line",
            )
        if result.code == 3:
            expires = int(result.value) + result.token_ttl_ms
            return QueueStatus(
                event_id=event_id,
                state=PlaceState.ADMITTED,
                position=0,
                people_ahead=0,
                estimated_wait_s=0,
                rate_per_minute=result.rate_per_minute,
                on_sale_at=on_sale,
                admission_token=self.tokens.issue(event_id, user, expires),
                admitted_at=_dt(int(result.value)),
                admission_expires_at=_dt(expires),
                supply=result.supply,
                poll_after_s=30.0,
            )
        if result.code == 2:
            return self._queued(
                event_id,
                int(result.value),
                result.rate_per_minute,
                on_sale,
                pacing=result.pacing,
                supply=result.supply,
            )
        if result.code == 1:
            return QueueStatus(
                event_id=event_id,
                state=PlaceState.PRE_QUEUE,
                rate_per_minute=result.rate_per_minute,
                on_sale_at=on_sale,
                pseudonym=result.value,
                supply=result.supply,
                poll_after_s=result.pacing.poll_after_s,
            )
        return QueueStatus(
            event_id=event_id,
            state=PlaceState.NOT_IN_QUEUE,
            rate_per_minute=result.rate_per_minute,
            on_sale_at=on_sale,
            supply=result.supply,
        )

    async def public_draw(self, event_id: str) -> DrawOut:
        """The published draw: commitment always; seed, entries and order once drawn."""
        stored = await self._queue(event_id)
        out = DrawOut(event_id=event_id, commitment=stored.commitment)
        order = await self.store.drawn_order(event_id)
        if order is None:  # not drawn yet (or the live queue was lost): keep the seed secret
            return out
        return out.model_copy(
            update={
                "seed": stored.seed_hex,
                "drawn_at": stored.drawn_at,
                "entries": sorted(order),
                "order": order,
            }
        )

    # -- inventory / orders -----------------------------------------------------------

    async def queue_active(self, event_id: str) -> bool:
        """True while holds for this event need an admission token: the event has a
        waiting room, its pre-queue has opened, and the organizer has not closed it."""
        now = time.monotonic()
        if self._no_queue_until.get(event_id, 0.0) > now:
            return False
        gate = self._gates.get(event_id)
        if gate is not None and gate[0] > now:
            return not gate[1] and _now_ms() >= gate[2]
        state, opens = await self.store.config_fields(event_id, "state", "opens_ms")
        if state is None:
            stored = await self.repo.get(event_id)
            if stored is None:
                # Remembered briefly, per process: a queue configured meanwhile (always
                # minutes before its pre-queue opens) is seen within NO_QUEUE_TTL_S.
                if len(self._no_queue_until) > 10_000:
                    self._no_queue_until.clear()
                self._no_queue_until[event_id] = time.monotonic() + NO_QUEUE_TTL_S
                return False
            await self.store.prime(stored)
            state, opens = await self.store.config_fields(event_id, "state", "opens_ms")
        if opens is None:
            return False
        if len(self._gates) > 10_000:
            self._gates.clear()
        closed = state == QueueState.CLOSED.value
        self._gates[event_id] = (now + GATE_TTL_S, closed, int(opens))
        return not closed and _now_ms() >= int(opens)

    async def verify_admission(
        self, event_id: str, principal: Principal, token: str | None
    ) -> None:
        """403 `admission_required` without a token; 403 `admission_invalid` (or
        `admission_expired`) unless it is this account's unexpired token for this event."""
        if not token:
            raise AdmissionRequired("join the waiting room; send X-Admission-Token once admitted")
        claims = self.tokens.verify(token)
        if claims.event_id != event_id or claims.user_id != principal.user_id:
            raise AdmissionInvalid("this admission token was issued to another account or event")

    async def require_admission(
        self, event_id: str, principal: Principal, token: str | None
    ) -> None:
        """What a hold endpoint calls: verify the token only while the queue is active."""
        if await self.queue_active(event_id):
            await self.verify_admission(event_id, principal, token)

    async def record_checkout_completed(self, event_id: str, user_id: str) -> None:
        await self.store.checkout(event_id, user_id, completed=True)

    async def record_shopper_left(self, event_id: str, user_id: str) -> None:
        await self.store.checkout(event_id, user_id, completed=False)

    async def record_checkout_latency(self, event_id: str, seconds: float) -> None:
        """How long a checkout took, the signal adaptive admission follows (`aimd`).
        Nothing is written for an event without an active waiting room (the gate is
        cached per process: no Redis call)."""
        if await self.queue_active(event_id):
            await self.store.record_latency(event_id, seconds * 1000)

    # -- organizers -------------------------------------------------------------------

    async def _owned(self, event_id: str, principal: Principal) -> StoredQueue:
        stored = await self._queue(event_id)
        if not principal.member_of(stored.config.org_id):
            raise QueueNotFound(f"event {event_id} has no waiting room")  # never leak existence
        return stored

    async def stats(self, event_id: str, principal: Principal) -> QueueStats:
        stored = await self._owned(event_id, principal)
        return await self._stats(stored)

    async def _stats(self, stored: StoredQueue) -> QueueStats:
        event_id = stored.config.event_id
        c = await self.store.counters(event_id)
        mode_s, rate_s, target_s, supply = await self.store.config_fields(
            event_id, "mode", "rate", "target", "supply"
        )
        mode = AdmissionMode(mode_s or stored.config.mode.value)
        rate = float(rate_s or 0) if mode is AdmissionMode.FIXED else float(c["measured_rate"])
        latency = None
        if mode is AdmissionMode.ADAPTIVE:
            adaptive, _ = await self.store.adaptive_state(event_id)
            rate = rate if adaptive is None else adaptive
            latency = aimd.latency_signal(await self.store.latencies(event_id), _now_ms())
        waiting = c["queue_length"] + c["pre_queue_length"]
        clear = math.ceil(waiting * 60 / rate) if rate > 0 else (0 if waiting == 0 else None)
        return QueueStats(
            event_id=event_id,
            state=stored.state,
            mode=mode,
            queue_length=c["queue_length"],
            pre_queue_length=c["pre_queue_length"],
            admitted=c["admitted"],
            active_shoppers=c["active"],
            abandoned=c["abandoned"],
            joined=c["joined"],
            rate_per_minute=rate,
            target_active=int(target_s or stored.config.target_active),
            completions_last_minute=c["completions_last_minute"],
            estimated_time_to_clear_s=clear,
            supply=Supply.of(supply),
            min_rate_per_minute=stored.config.min_rate_per_minute,
            max_rate_per_minute=stored.config.max_rate_per_minute,
            checkout_latency_target_ms=stored.config.checkout_latency_target_ms,
            checkout_latency_ms=latency,
        )

    async def update_admission(
        self, event_id: str, principal: Principal, update: AdmissionUpdate
    ) -> QueueStats:
        stored = await self._owned(event_id, principal)
        if stored.state is QueueState.CLOSED:
            raise QueueClosed()
        changes: dict[str, Any] = update.model_dump(exclude_none=True)
        try:
            config = QueueConfig.model_validate({**stored.config.model_dump(), **changes})
        except ValidationError as exc:  # e.g. a minimum rate above the maximum
            raise QueueConfigRejected(exc.errors()[0]["msg"]) from None
        await self.repo.update_config(config, by_organizer=True)
        await self.store.set_admission(config)
        await audit.record(
            self._db,
            actor=principal.user_id,
            action="waitingroom.admission_changed",
            subject=f"event:{event_id}",
            data=update.model_dump(mode="json", exclude_none=True),
        )
        return await self._stats(await self._queue(event_id))

    async def close_queue(self, event_id: str, principal: Principal) -> QueueStats:
        await self._owned(event_id, principal)
        await self.repo.mark_closed(event_id)
        await self.store.close(event_id)
        self._gates.pop(event_id, None)
        await audit.record(
            self._db,
            actor=principal.user_id,
            action="waitingroom.closed",
            subject=f"event:{event_id}",
        )
        return await self._stats(await self._queue(event_id))
