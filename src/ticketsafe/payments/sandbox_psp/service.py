"""The sandbox PSP's own state and operations (TEST MODE card gateway and PIX bank).

The sandbox stands in for a third party (a card acquirer, the payer's bank), so its
ledger is not TicketSafe's system of record and does not live in our MongoDB: it is kept
in Redis, the way a real PSP keeps it in its own systems. Our side of every payment stays
in MongoDB (`payments`), and reconciles from the PSP's signed webhooks. Tokens live for a
day, charges and events for `RETENTION`; if Redis loses them, a pending sandbox payment
simply fails or expires (an unknown charge cannot be captured), which releases its
seats — the same as a real PSP refusing — and never sells a seat twice.

Every state change of a charge emits an event, stored and then delivered as a signed
webhook by the worker (`sandbox_psp.deliver`), at least once — receivers dedupe by id.
Moves are single Lua calls guarded on the charge's state, so of two racing moves (or two
racing refunds) exactly one wins.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, NotFound
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.payments.sandbox_psp.cards import (
    CardBehaviour,
    behaviour_of,
    brand_of,
    luhn_valid,
)

DELIVER_JOB = "sandbox_psp.deliver"
TOKEN_TTL = timedelta(days=1)
RETENTION = timedelta(days=400)  # refunds of a cancelled event may come months later


def _token_key(token: str) -> str:
    return f"ts:psp:tok:{token}"


def _charge_key(charge_id: str) -> str:
    return f"ts:psp:ch:{charge_id}"


def _event_key(event_id: str) -> str:
    return f"ts:psp:evt:{event_id}"


# KEYS[1] charge; ARGV[1] JSON list of states the charge must be in ("[]": any);
# ARGV[2] JSON object of fields to set; ARGV[3] cents to add to refunded_cents (0: none),
# refused when that would pass captured_cents. Returns {1, new} or {0, current | false}.
_MOVE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {0, false} end
local charge = cjson.decode(raw)
local allowed = cjson.decode(ARGV[1])
if #allowed > 0 then
  local ok = false
  for _, state in ipairs(allowed) do if state == charge.state then ok = true end end
  if not ok then return {0, raw} end
end
local refund = tonumber(ARGV[3])
if refund > 0 then
  if charge.refunded_cents + refund > charge.captured_cents then return {0, raw} end
  charge.refunded_cents = charge.refunded_cents + refund
end
for k, v in pairs(cjson.decode(ARGV[2])) do charge[k] = v end
local out = cjson.encode(charge)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return {1, out}
"""


# KEYS[1] token; ARGV[1] the charge that takes it. A token is taken for one charge, once:
# its data is returned to that charge (again, if asked again), false to any other or when
# it is unknown. Taking marks the token instead of deleting it, so a process that dies
# between taking the token and storing the charge leaves a token its retry (the same
# reference, the same charge id) can still charge, and nobody else can.
_CLAIM_CARD = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local tok = cjson.decode(raw)
if tok.taken_by then
  if tok.taken_by == ARGV[1] then return raw end
  return false
end
tok.taken_by = ARGV[1]
local out = cjson.encode(tok)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return out
"""


class ChargeState(StrEnum):
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    DECLINED = "declined"
    PENDING = "pending"  # PIX: waiting for the payer


class CardToken(BaseModel):
    token: str
    brand: str
    last4: str
    test_mode: bool = True


class Charge(BaseModel):
    id: str
    kind: str  # "card" | "pix"
    state: ChargeState
    amount_cents: int
    currency: str
    reference: str  # the merchant's own id for this charge (our payment id)
    captured_cents: int = 0
    refunded_cents: int = 0
    decline_code: str | None = None
    challenge_url: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    # The merchant's id of who pays (a customer reference): only they may answer the
    # card's challenge. None: nobody may (a charge from before payers were recorded).
    payer: str | None = None
    test_mode: bool = True


class CardDeclined(Conflict):
    code = "card_declined"
    title = "Card declined"


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def _now() -> datetime:
    return datetime.now(UTC)


async def tokenize(
    redis: RedisClient, number: str, exp_month: int, exp_year: int, cvc: str
) -> CardToken:
    digits = "".join(ch for ch in number if ch.isdigit())
    problems = []
    if not luhn_valid(digits):
        problems.append("number")
    now = _now()
    if (exp_year, exp_month) < (now.year, now.month) or not 1 <= exp_month <= 12:
        problems.append("expiry")
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        problems.append("cvc")
    if problems:
        raise BusinessRuleViolation(
            "card details are invalid", code="card_invalid", fields=problems
        )
    token = CardToken(token=_id("tok"), brand=brand_of(digits), last4=digits[-4:])
    stored = {"brand": token.brand, "last4": token.last4, "behaviour": behaviour_of(digits)}
    await redis.set(_token_key(token.token), orjson.dumps(stored), ex=TOKEN_TTL)
    return token


async def authorize_card(
    redis: RedisClient,
    jobs: JobBuffer,
    *,
    token: str,
    amount_cents: int,
    currency: str,
    reference: str,
    payer: str | None = None,
) -> Charge:
    """Authorise (never capture) a charge on a single-use token. `reference` is the
    merchant's idempotency key, as at real PSPs: asked again with the same reference
    (the merchant's process died during the call and its retry asks again), the gateway
    answers the charge it made, as it stands, and takes no new token."""
    charge_id = f"ch_{reference}"
    known = await redis.get(_charge_key(charge_id))
    if known is not None:
        return _charge(known)
    tok = await take_token(redis, token, charge_id)
    behaviour = CardBehaviour(tok["behaviour"])
    state, decline, challenge = ChargeState.AUTHORIZED, None, None
    if behaviour is CardBehaviour.REQUIRE_3DS:
        state, challenge = ChargeState.REQUIRES_ACTION, f"/sandbox-psp/v1/challenges/{charge_id}"
    elif behaviour is not CardBehaviour.APPROVE:
        state, decline = ChargeState.DECLINED, behaviour.value
    charge = Charge(
        id=charge_id, kind="card", state=state, amount_cents=amount_cents, currency=currency,
        reference=reference, decline_code=decline, challenge_url=challenge,
        card_brand=tok["brand"], card_last4=tok["last4"], payer=payer,
    )  # fmt: skip
    if not await _store(redis, charge, only_new=True):  # two calls raced: the first won
        return await get_charge(redis, charge_id)
    if state is ChargeState.DECLINED:
        await _emit(redis, jobs, "charge.failed", charge)
    return charge


async def take_token(redis: RedisClient, token: str, charge_id: str) -> dict[str, Any]:
    """The token's card data, the token now (or already) taken by `charge_id`: single use,
    the first charge takes it (`_CLAIM_CARD`)."""
    raw: Any = await redis.register_script(_CLAIM_CARD)(keys=[_token_key(token)], args=[charge_id])
    if not raw:
        raise Conflict("card token unknown or already used", code="card_token_used")
    found: dict[str, Any] = orjson.loads(raw)
    return found


async def challenge_of(redis: RedisClient, charge_id: str, payer: str) -> Charge:
    """The charge awaiting `payer`'s challenge. Anyone else's, or one without a payer,
    looks exactly like an unknown charge (its id is derived from the payment id, so
    existence must not be confirmed either)."""
    try:
        charge = await get_charge(redis, charge_id)
    except NotFound:
        charge = None
    if charge is None or charge.payer is None or charge.payer != payer:
        raise NotFound("unknown charge", code="charge_unknown")
    return charge


async def complete_challenge(
    redis: RedisClient, jobs: JobBuffer, charge_id: str, *, payer: str, approve: bool
) -> Charge:
    """The buyer finished (or failed) the 3-D-Secure-like step; the result arrives by webhook."""
    await challenge_of(redis, charge_id, payer)
    target = ChargeState.AUTHORIZED if approve else ChargeState.DECLINED
    extra = {} if approve else {"decline_code": "authentication_failed"}
    charge = await _move(redis, charge_id, {ChargeState.REQUIRES_ACTION}, target, extra)
    await _emit(redis, jobs, "charge.authorized" if approve else "charge.failed", charge)
    return charge


async def capture(redis: RedisClient, jobs: JobBuffer, charge_id: str) -> Charge:
    current = await get_charge(redis, charge_id)
    if current.state is ChargeState.CAPTURED:
        return current  # capturing twice is a no-op, as at real PSPs
    charge = await _move(
        redis, charge_id, {ChargeState.AUTHORIZED}, ChargeState.CAPTURED,
        {"captured_cents": current.amount_cents},
    )  # fmt: skip
    await _emit(redis, jobs, "charge.captured", charge)
    return charge


async def void(redis: RedisClient, jobs: JobBuffer, charge_id: str) -> Charge:
    current = await get_charge(redis, charge_id)
    if current.state in (ChargeState.VOIDED, ChargeState.DECLINED):
        return current
    charge = await _move(
        redis, charge_id, {ChargeState.AUTHORIZED, ChargeState.REQUIRES_ACTION}, ChargeState.VOIDED
    )
    await _emit(redis, jobs, "charge.voided", charge)
    return charge


async def refund(redis: RedisClient, jobs: JobBuffer, charge_id: str, amount_cents: int) -> Charge:
    charge = await get_charge(redis, charge_id)
    if charge.state is not ChargeState.CAPTURED:
        raise Conflict("only captured charges can be refunded", code="charge_not_captured")
    # Guarded increment: concurrent refunds can never exceed what was captured.
    moved, raw = await _run_move(redis, charge_id, {ChargeState.CAPTURED}, {}, amount_cents)
    if not moved or raw is None:
        raise Conflict("refund exceeds the captured amount", code="refund_exceeds_capture")
    charge = _charge(raw)
    await _emit(redis, jobs, "charge.refunded", charge, {"amount_cents": amount_cents})
    return charge


async def create_pix_charge(
    redis: RedisClient, *, txid: str, amount_cents: int, reference: str
) -> Charge:
    charge = Charge(
        id=f"pix_{txid}",
        kind="pix",
        state=ChargeState.PENDING,
        amount_cents=amount_cents,
        currency="BRL",
        reference=reference,
    )
    if not await _store(redis, charge, only_new=True):
        return await get_charge(redis, charge.id)  # the same txid asked for twice
    return charge


async def pay_pix(redis: RedisClient, jobs: JobBuffer, txid: str) -> Charge:
    """Simulate the payer's bank settling the PIX charge (instant, final)."""
    current = await get_charge(redis, f"pix_{txid}")
    charge = await _move(
        redis, current.id, {ChargeState.PENDING}, ChargeState.CAPTURED,
        {"captured_cents": current.amount_cents},
    )  # fmt: skip
    await _emit(redis, jobs, "pix.received", charge)
    return charge


async def get_charge(redis: RedisClient, charge_id: str) -> Charge:
    raw = await redis.get(_charge_key(charge_id))
    if raw is None:
        raise NotFound("unknown charge", code="charge_unknown")
    return _charge(raw)


async def get_event(redis: RedisClient, event_id: str) -> dict[str, Any] | None:
    raw = await redis.get(_event_key(event_id))
    return None if raw is None else dict(orjson.loads(raw))


async def _store(redis: RedisClient, charge: Charge, *, only_new: bool = False) -> bool:
    doc = charge.model_dump(mode="json")
    stored = await redis.set(_charge_key(charge.id), orjson.dumps(doc), ex=RETENTION, nx=only_new)
    return bool(stored)


async def _move(
    redis: RedisClient,
    charge_id: str,
    allowed: set[ChargeState],
    target: ChargeState,
    extra: dict[str, Any] | None = None,
) -> Charge:
    """Move the charge to `target` if it is in one of the `allowed` states, atomically."""
    fields = {"state": target.value, **(extra or {})}
    moved, raw = await _run_move(redis, charge_id, allowed, fields)
    if raw is None:
        raise NotFound("unknown charge", code="charge_unknown")
    if not moved:
        state = _charge(raw).state
        raise Conflict(f"charge is {state}, cannot become {target}", code="charge_state_conflict")
    return _charge(raw)


async def _run_move(
    redis: RedisClient,
    charge_id: str,
    allowed: set[ChargeState],
    fields: dict[str, Any],
    refund_cents: int = 0,
) -> tuple[int, bytes | None]:
    """One `_MOVE` call: (1, the charge as stored) or (0, the charge as it was | None)."""
    moved, raw = await redis.register_script(_MOVE)(
        keys=[_charge_key(charge_id)],
        args=[orjson.dumps(sorted(s.value for s in allowed)), orjson.dumps(fields), refund_cents],
    )
    return int(moved), raw


async def _emit(
    redis: RedisClient,
    jobs: JobBuffer,
    kind: str,
    charge: Charge,
    extra: dict[str, Any] | None = None,
) -> None:
    event_id = _id("evt")
    event = {
        "id": event_id,
        "type": kind,
        "created": int(_now().timestamp()),
        "data": {**charge.model_dump(mode="json"), **(extra or {})},
    }
    await redis.set(_event_key(event_id), orjson.dumps(event), ex=RETENTION)
    # A real PSP delivers on its own schedule, not behind our receipts: the urgent lane.
    jobs.defer(DELIVER_JOB, {"event_id": event_id}, urgent=True)


def _charge(raw: bytes | str) -> Charge:
    return Charge.model_validate_json(raw)
