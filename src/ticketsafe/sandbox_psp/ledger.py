"""The sandbox PSP's own books: card tokens, charges and the events it notifies.

The sandbox stands in for a third party (a card acquirer, the payer's bank), so its
ledger lives in its own process's memory, never in TicketSafe's stores: restarting the
sandbox forgets every charge, as if the PSP lost them — a pending payment then simply
fails or expires (an unknown charge cannot be captured), which releases its seats.

Every move is a plain check-and-set between two awaits of one event loop, so of two
racing moves (two captures, two refunds) exactly one wins, as a real PSP's row lock
would decide. Every state change of a charge emits an event for the merchant's
`notify_url` (given with the charge, as PSPs take a notification URL per charge),
kept in `events` until the server takes them (`take_events`) to deliver.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from ticketsafe.sandbox_psp.cards import CardBehaviour, behaviour_of, brand_of, luhn_valid


class SandboxError(Exception):
    """A refusal the sandbox answers with `status` and a machine-readable `code`."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra


def _unknown() -> SandboxError:
    return SandboxError(404, "charge_unknown", "unknown charge")


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
    reference: str  # the merchant's own id for this charge (its payment id)
    captured_cents: int = 0
    refunded_cents: int = 0
    decline_code: str | None = None
    challenge_url: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    # The merchant's id of who pays (a customer reference): only they may answer the
    # card's challenge. None: nobody may.
    payer: str | None = None
    test_mode: bool = True


@dataclass
class _Token:
    brand: str
    last4: str
    behaviour: CardBehaviour
    taken_by: str | None = None


@dataclass
class Event:
    id: str
    type: str
    created: int
    data: dict[str, Any]
    notify_url: str | None

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "created": self.created, "data": self.data}


HISTORY = 100_000  # events kept for `GET /v1/events` and redelivery


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


@dataclass
class Ledger:
    """Tokens, charges, their notification URLs and the events not yet handed over."""

    challenge_base: str = "/sandbox-psp/v1/challenges"
    tokens: dict[str, _Token] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    notify_urls: dict[str, str | None] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)  # echoed in events
    events: list[Event] = field(default_factory=list)  # not yet handed to delivery
    history: dict[str, Event] = field(default_factory=dict)  # the last HISTORY, by id
    # Test controls, per charge: its webhooks are lost in transit; its refunds refused.
    dropping: set[str] = field(default_factory=set)
    refusing: set[str] = field(default_factory=set)

    def events_of(self, charge_id: str) -> list[Event]:
        return [e for e in self.history.values() if e.data["id"] == charge_id]

    def event(self, event_id: str) -> Event:
        found = self.history.get(event_id)
        if found is None:
            raise SandboxError(404, "event_unknown", "unknown event")
        return found

    def control(self, charge_id: str, *, drop_webhooks: bool, refuse_refunds: bool) -> None:
        self.get(charge_id)
        for flag, ids in ((drop_webhooks, self.dropping), (refuse_refunds, self.refusing)):
            if flag:
                ids.add(charge_id)
            else:
                ids.discard(charge_id)

    def take_events(self) -> list[Event]:
        taken, self.events = self.events, []
        return taken

    def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken:
        digits = "".join(ch for ch in number if ch.isdigit())
        problems = []
        if not luhn_valid(digits):
            problems.append("number")
        now = datetime.now(UTC)
        if (exp_year, exp_month) < (now.year, now.month) or not 1 <= exp_month <= 12:
            problems.append("expiry")
        if not (cvc.isdigit() and len(cvc) in (3, 4)):
            problems.append("cvc")
        if problems:
            raise SandboxError(422, "card_invalid", "card details are invalid", fields=problems)
        token = CardToken(token=_id("tok"), brand=brand_of(digits), last4=digits[-4:])
        self.tokens[token.token] = _Token(token.brand, token.last4, behaviour_of(digits))
        return token

    def authorize_card(
        self, *, token: str, amount_cents: int, currency: str, reference: str,
        payer: str | None, notify_url: str | None, metadata: dict[str, str] | None = None,
    ) -> Charge:  # fmt: skip
        """Authorise (never capture) on a single-use token. `reference` is the merchant's
        idempotency key, as at real PSPs: asked again with the same reference (the
        merchant died during the call and retries), the answer is the charge it made,
        as it stands, and no new token is taken."""
        charge_id = f"ch_{reference}"
        known = self.charges.get(charge_id)
        if known is not None:
            return known
        tok = self.tokens.get(token)
        if tok is None or tok.taken_by not in (None, charge_id):
            raise SandboxError(409, "card_token_used", "card token unknown or already used")
        tok.taken_by = charge_id
        state, decline, challenge = ChargeState.AUTHORIZED, None, None
        if tok.behaviour is CardBehaviour.REQUIRE_3DS:
            state, challenge = ChargeState.REQUIRES_ACTION, f"{self.challenge_base}/{charge_id}"
        elif tok.behaviour is not CardBehaviour.APPROVE:
            state, decline = ChargeState.DECLINED, tok.behaviour.value
        charge = Charge(
            id=charge_id, kind="card", state=state, amount_cents=amount_cents, currency=currency,
            reference=reference, decline_code=decline, challenge_url=challenge,
            card_brand=tok.brand, card_last4=tok.last4, payer=payer,
        )  # fmt: skip
        self._store(charge, notify_url, metadata)
        if state is ChargeState.DECLINED:
            self._emit("charge.failed", charge)
        return charge

    def create_pix_charge(
        self, *, txid: str, amount_cents: int, reference: str, notify_url: str | None,
        metadata: dict[str, str] | None = None,
    ) -> Charge:  # fmt: skip
        charge_id = f"pix_{txid}"
        known = self.charges.get(charge_id)
        if known is not None:
            return known  # the same txid asked for twice
        charge = Charge(
            id=charge_id, kind="pix", state=ChargeState.PENDING, amount_cents=amount_cents,
            currency="BRL", reference=reference,
        )  # fmt: skip
        self._store(charge, notify_url, metadata)
        return charge

    def get(self, charge_id: str) -> Charge:
        charge = self.charges.get(charge_id)
        if charge is None:
            raise _unknown()
        return charge

    def challenge_of(self, charge_id: str, payer: str) -> Charge:
        """The charge awaiting `payer`'s challenge. Anyone else's, or one without a payer,
        looks exactly like an unknown charge (its id is derived from the merchant's
        reference, so existence must not be confirmed either)."""
        charge = self.charges.get(charge_id)
        if charge is None or charge.payer is None or charge.payer != payer:
            raise _unknown()
        return charge

    def complete_challenge(self, charge_id: str, *, payer: str, approve: bool) -> Charge:
        self.challenge_of(charge_id, payer)
        target = ChargeState.AUTHORIZED if approve else ChargeState.DECLINED
        extra = {} if approve else {"decline_code": "authentication_failed"}
        charge = self._move(charge_id, {ChargeState.REQUIRES_ACTION}, target, extra)
        self._emit("charge.authorized" if approve else "charge.failed", charge)
        return charge

    def capture(self, charge_id: str) -> Charge:
        current = self.get(charge_id)
        if current.state is ChargeState.CAPTURED:
            return current  # capturing twice is a no-op, as at real PSPs
        charge = self._move(
            charge_id, {ChargeState.AUTHORIZED}, ChargeState.CAPTURED,
            {"captured_cents": current.amount_cents},
        )  # fmt: skip
        self._emit("charge.captured", charge)
        return charge

    def void(self, charge_id: str) -> Charge:
        current = self.get(charge_id)
        if current.state in (ChargeState.VOIDED, ChargeState.DECLINED):
            return current
        allowed = {ChargeState.AUTHORIZED, ChargeState.REQUIRES_ACTION}
        charge = self._move(charge_id, allowed, ChargeState.VOIDED)
        self._emit("charge.voided", charge)
        return charge

    def refund(self, charge_id: str, amount_cents: int) -> Charge:
        charge = self.get(charge_id)
        if charge.state is not ChargeState.CAPTURED:
            raise SandboxError(409, "charge_not_captured", "only captured charges can be refunded")
        if charge_id in self.refusing:
            raise SandboxError(409, "refund_refused", "the issuer refused the refund (test)")
        if amount_cents <= 0 or charge.refunded_cents + amount_cents > charge.captured_cents:
            raise SandboxError(409, "refund_exceeds_capture", "refund exceeds the captured amount")
        charge = charge.model_copy(update={"refunded_cents": charge.refunded_cents + amount_cents})
        self.charges[charge_id] = charge
        self._emit("charge.refunded", charge, {"amount_cents": amount_cents})
        return charge

    def pay_pix(self, txid: str) -> Charge:
        """The payer's bank settles the PIX charge (instant, final)."""
        current = self.get(f"pix_{txid}")
        charge = self._move(
            current.id, {ChargeState.PENDING}, ChargeState.CAPTURED,
            {"captured_cents": current.amount_cents},
        )  # fmt: skip
        self._emit("pix.received", charge)
        return charge

    def _store(
        self, charge: Charge, notify_url: str | None, metadata: dict[str, str] | None
    ) -> None:
        self.charges[charge.id] = charge
        self.notify_urls[charge.id] = notify_url
        self.metadata[charge.id] = metadata or {}

    def _move(
        self,
        charge_id: str,
        allowed: set[ChargeState],
        target: ChargeState,
        extra: dict[str, Any] | None = None,
    ) -> Charge:
        current = self.get(charge_id)
        if current.state not in allowed:
            raise SandboxError(
                409, "charge_state_conflict", f"charge is {current.state}, cannot become {target}"
            )
        charge = current.model_copy(update={"state": target, **(extra or {})})
        self.charges[charge_id] = charge
        return charge

    def _emit(self, kind: str, charge: Charge, extra: dict[str, Any] | None = None) -> None:
        event = Event(
            id=_id("evt"), type=kind, created=int(datetime.now(UTC).timestamp()),
            data={
                **charge.model_dump(mode="json"), "metadata": self.metadata.get(charge.id, {}),
                **(extra or {}),
            },
            notify_url=self.notify_urls.get(charge.id),
        )  # fmt: skip
        self.history[event.id] = event
        if len(self.history) > HISTORY:
            del self.history[next(iter(self.history))]
        if charge.id in self.dropping:
            event.notify_url = None  # lost in transit (test control)
        self.events.append(event)
