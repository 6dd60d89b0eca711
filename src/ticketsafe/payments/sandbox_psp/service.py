"""The sandbox PSP's own state and operations (collections prefixed `sandbox_psp_`).

Every state change of a charge emits an event, stored and then delivered as a signed
webhook by the worker (`sandbox_psp.deliver`), at least once — receivers dedupe by id.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, NotFound
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongo_group import group_insert
from ticketsafe.infra.mongodb import Database
from ticketsafe.payments.sandbox_psp.cards import (
    CardBehaviour,
    behaviour_of,
    brand_of,
    luhn_valid,
)

TOKENS = "sandbox_psp_tokens"
CHARGES = "sandbox_psp_charges"
EVENTS = "sandbox_psp_events"
DELIVER_JOB = "sandbox_psp.deliver"


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
    reference: str
    captured_cents: int = 0
    refunded_cents: int = 0
    decline_code: str | None = None
    challenge_url: str | None = None
    test_mode: bool = True


class CardDeclined(Conflict):
    code = "card_declined"
    title = "Card declined"


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def _now() -> datetime:
    return datetime.now(UTC)


async def tokenize(db: Database, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken:
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
    doc = {
        "_id": _id("tok"),
        "brand": brand_of(digits),
        "last4": digits[-4:],
        "behaviour": behaviour_of(digits).value,
        "used": False,
        "created_at": now,
    }
    await group_insert(db, TOKENS).insert_one(doc)
    return CardToken(token=doc["_id"], brand=doc["brand"], last4=doc["last4"])


async def get_token(db: Database, token: str) -> CardToken:
    doc = await db[TOKENS].find_one({"_id": token})
    if doc is None:
        raise NotFound("unknown card token", code="card_token_unknown")
    return CardToken(token=doc["_id"], brand=doc["brand"], last4=doc["last4"])


async def authorize_card(
    db: Database, jobs: JobBuffer, *, token: str, amount_cents: int, currency: str, reference: str
) -> Charge:
    """Authorise (never capture) a charge on a single-use token."""
    claimed = await db[TOKENS].update_one({"_id": token, "used": False}, {"$set": {"used": True}})
    if claimed.matched_count == 0:
        raise Conflict("card token unknown or already used", code="card_token_used")
    tok = await db[TOKENS].find_one({"_id": token})
    assert tok is not None
    behaviour = CardBehaviour(tok["behaviour"])
    charge_id = _id("ch")
    state, decline, challenge = ChargeState.AUTHORIZED, None, None
    if behaviour is CardBehaviour.REQUIRE_3DS:
        state, challenge = ChargeState.REQUIRES_ACTION, f"/sandbox-psp/v1/challenges/{charge_id}"
    elif behaviour is not CardBehaviour.APPROVE:
        state, decline = ChargeState.DECLINED, behaviour.value
    charge = Charge(
        id=charge_id,
        kind="card",
        state=state,
        amount_cents=amount_cents,
        currency=currency,
        reference=reference,
        decline_code=decline,
        challenge_url=challenge,
    )
    await _insert(db, charge)
    if state is ChargeState.DECLINED:
        await _emit(db, jobs, "charge.failed", charge)
    return charge


async def complete_challenge(
    db: Database, jobs: JobBuffer, charge_id: str, *, approve: bool
) -> Charge:
    """The buyer finished (or failed) the 3-D-Secure-like step; the result arrives by webhook."""
    target = ChargeState.AUTHORIZED if approve else ChargeState.DECLINED
    extra = {} if approve else {"decline_code": "authentication_failed"}
    current = await get_charge(db, charge_id)
    charge = await _move(db, current, {ChargeState.REQUIRES_ACTION}, target, extra)
    await _emit(db, jobs, "charge.authorized" if approve else "charge.failed", charge)
    return charge


async def capture(db: Database, jobs: JobBuffer, charge_id: str) -> Charge:
    current = await get_charge(db, charge_id)
    if current.state is ChargeState.CAPTURED:
        return current  # capturing twice is a no-op, as at real PSPs
    charge = await _move(
        db, current, {ChargeState.AUTHORIZED}, ChargeState.CAPTURED,
        {"captured_cents": current.amount_cents},
    )  # fmt: skip
    await _emit(db, jobs, "charge.captured", charge)
    return charge


async def void(db: Database, jobs: JobBuffer, charge_id: str) -> Charge:
    current = await get_charge(db, charge_id)
    if current.state in (ChargeState.VOIDED, ChargeState.DECLINED):
        return current
    charge = await _move(
        db, current, {ChargeState.AUTHORIZED, ChargeState.REQUIRES_ACTION}, ChargeState.VOIDED
    )
    await _emit(db, jobs, "charge.voided", charge)
    return charge


async def refund(db: Database, jobs: JobBuffer, charge_id: str, amount_cents: int) -> Charge:
    charge = await get_charge(db, charge_id)
    if charge.state is not ChargeState.CAPTURED:
        raise Conflict("only captured charges can be refunded", code="charge_not_captured")
    # Guarded increment: concurrent refunds can never exceed what was captured.
    result = await db[CHARGES].update_one(
        {
            "_id": charge_id,
            "refunded_cents": {"$lte": charge.captured_cents - amount_cents},
        },
        {"$inc": {"refunded_cents": amount_cents}, "$set": {"updated_at": _now()}},
    )
    if result.modified_count == 0:
        raise Conflict("refund exceeds the captured amount", code="refund_exceeds_capture")
    charge = await get_charge(db, charge_id)
    await _emit(db, jobs, "charge.refunded", charge, {"amount_cents": amount_cents})
    return charge


async def create_pix_charge(
    db: Database, *, txid: str, amount_cents: int, reference: str
) -> Charge:
    existing = await db[CHARGES].find_one({"_id": f"pix_{txid}"})
    if existing is not None:
        return _charge(existing)
    charge = Charge(
        id=f"pix_{txid}",
        kind="pix",
        state=ChargeState.PENDING,
        amount_cents=amount_cents,
        currency="BRL",
        reference=reference,
    )
    await _insert(db, charge)
    return charge


async def pay_pix(db: Database, jobs: JobBuffer, txid: str) -> Charge:
    """Simulate the payer's bank settling the PIX charge (instant, final)."""
    current = await get_charge(db, f"pix_{txid}")
    charge = await _move(
        db, current, {ChargeState.PENDING}, ChargeState.CAPTURED,
        {"captured_cents": current.amount_cents},
    )  # fmt: skip
    await _emit(db, jobs, "pix.received", charge)
    return charge


async def get_charge(db: Database, charge_id: str) -> Charge:
    doc = await db[CHARGES].find_one({"_id": charge_id})
    if doc is None:
        raise NotFound("unknown charge", code="charge_unknown")
    return _charge(doc)


async def get_event(db: Database, event_id: str) -> dict[str, Any] | None:
    return await db[EVENTS].find_one({"_id": event_id})


async def _insert(db: Database, charge: Charge) -> None:
    doc = charge.model_dump(exclude={"id"})
    doc.update({"_id": charge.id, "created_at": _now(), "updated_at": _now()})
    await group_insert(db, CHARGES).insert_one(doc)


async def _move(
    db: Database,
    current: Charge,
    allowed: set[ChargeState],
    target: ChargeState,
    extra: dict[str, Any] | None = None,
) -> Charge:
    """Move the charge read as `current` to `target`; returns it as now stored."""
    if current.state not in allowed:
        raise Conflict(
            f"charge is {current.state}, cannot become {target}", code="charge_state_conflict"
        )
    # Guarded on the state we read: of two racing moves exactly one wins.
    update = {"state": target.value, "updated_at": _now(), **(extra or {})}
    result = await db[CHARGES].update_one(
        {"_id": current.id, "state": current.state.value}, {"$set": update}
    )
    if result.modified_count == 0:
        raise Conflict("charge changed concurrently", code="charge_state_conflict")
    return Charge.model_validate({**current.model_dump(), **(extra or {}), "state": target})


async def _emit(
    db: Database, jobs: JobBuffer, kind: str, charge: Charge, extra: dict[str, Any] | None = None
) -> None:
    event = {
        "_id": _id("evt"),
        "type": kind,
        "created": int(_now().timestamp()),
        "data": {**charge.model_dump(mode="json"), **(extra or {})},
    }
    await group_insert(db, EVENTS).insert_one(event)
    jobs.defer(DELIVER_JOB, {"event_id": event["_id"]})


def _charge(doc: dict[str, Any]) -> Charge:
    return Charge(id=doc["_id"], **{k: v for k, v in doc.items() if k in Charge.model_fields})
