"""Judging a scanned code: the rules a gate applies, online or offline.

Pure functions over what the gate knows: the event's public key, the ticket's current
state (version, revoked, used, rotation secret) and the event's code policy. The server
(`checkin.service`) and the offline verifier (`checkin.offline`) both ask `judge`; only
where the "used" mark lives differs (a guarded MongoDB update online, the device's own
log offline, reconciled at sync).

Refusals are worded for a steward at the gate: what happened and what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ticketsafe.tickets import codes


class Refusal(StrEnum):
    NOT_TICKETSAFE = "not_ticketsafe_code"
    WRONG_EVENT = "wrong_event"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    ALREADY_USED = "already_used"
    CODE_EXPIRED = "code_expired"
    STATIC_NOT_ACCEPTED = "static_not_accepted"


@dataclass(frozen=True)
class TicketState:
    """A ticket as the gate knows it."""

    version: int
    revoked: bool
    secret: bytes
    used_at: datetime | None = None
    used_gate: str | None = None


@dataclass(frozen=True)
class Verdict:
    reason: Refusal | None  # None: admit
    message: str
    scanned: codes.ScannedCode | None = None
    used_at: datetime | None = None
    used_gate: str | None = None

    @property
    def admitted(self) -> bool:
        return self.reason is None


def refuse(reason: Refusal, scanned: codes.ScannedCode | None = None, **words: str) -> Verdict:
    return Verdict(reason, _WORDS[reason].format(**words), scanned)


_WORDS = {
    Refusal.NOT_TICKETSAFE: "Not a TicketSafe code: do not admit; send them to the box office.",
    Refusal.WRONG_EVENT: "Ticket for another event: do not admit; check the date and venue.",
    Refusal.REVOKED: "Ticket cancelled or refunded: do not admit; send to the box office.",
    Refusal.SUPERSEDED: "Old code of a transferred ticket: do not admit; the new holder has it.",
    Refusal.ALREADY_USED: "Already used at gate {gate} at {time}: do not admit; call a supervisor.",
    Refusal.CODE_EXPIRED: "Code expired (a screenshot?): ask for the live code in the app.",
    Refusal.STATIC_NOT_ACCEPTED: "Printed codes not accepted here: ask for the app's live code.",
}


EventKey = bytes | Ed25519PublicKey | Ed25519PrivateKey


def read_code(code: str, event_id: str, key: EventKey | None) -> Verdict:
    """Shape, signature and event: everything a code alone can tell. `key`: the event's
    public key (a gate), or its private key (the server, which signs again rather than
    verifies: `ScannedCode.issued_by`)."""
    try:
        scanned = codes.parse(code)
    except codes.MalformedCode:
        return refuse(Refusal.NOT_TICKETSAFE)
    if scanned.claims.event_id != event_id:
        # Its own event's key is not ours to check: the steward needs only "other event".
        return refuse(Refusal.WRONG_EVENT, scanned)
    if key is None or not _genuine(scanned, key):
        return refuse(Refusal.NOT_TICKETSAFE, scanned)
    return Verdict(None, "Valid code.", scanned)


def _genuine(scanned: codes.ScannedCode, key: EventKey) -> bool:
    if isinstance(key, Ed25519PrivateKey):
        return scanned.issued_by(key)
    return scanned.signature_valid(key)


def judge(
    scanned: codes.ScannedCode,
    state: TicketState | None,
    *,
    static_accepted: bool,
    at: datetime,
    window_steps: int,
    timezone: str,
) -> Verdict:
    """Whether a code already read as genuine (`read_code`) admits now."""
    if state is None:  # signed by the event's key yet unknown: treat as not ours
        return refuse(Refusal.NOT_TICKETSAFE, scanned)
    if state.revoked:
        return refuse(Refusal.REVOKED, scanned)
    if scanned.claims.version != state.version:
        return refuse(Refusal.SUPERSEDED, scanned)
    if state.used_at is not None:
        local = state.used_at.astimezone(ZoneInfo(timezone))
        verdict = refuse(
            Refusal.ALREADY_USED, scanned, gate=state.used_gate or "?", time=f"{local:%H:%M}"
        )
        return Verdict(verdict.reason, verdict.message, scanned, state.used_at, state.used_gate)
    stale = _stale(scanned, state.secret, static_accepted, at, window_steps)
    if stale is not None:
        return refuse(stale, scanned)
    return Verdict(None, f"Admit ({scanned.kind} code).", scanned)


def _stale(
    scanned: codes.ScannedCode, secret: bytes, static_accepted: bool, at: datetime, window: int
) -> Refusal | None:
    """Why the code's kind does not admit now: a printed code where only live ones do,
    or a live code whose one-time value left the window (a screenshot)."""
    if scanned.otp is None:
        return None if static_accepted else Refusal.STATIC_NOT_ACCEPTED
    if codes.otp_matches(secret, scanned.otp, at.timestamp(), window):
        return None
    return Refusal.CODE_EXPIRED
