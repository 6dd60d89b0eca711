"""Typed refusals of a scan (problem+json: `code` is the reason, `detail` the steward's
words) and the gate's other failures."""

from __future__ import annotations

from typing import Any

from ticketsafe.checkin.verifier import Refusal, Verdict
from ticketsafe.infra.errors import BadRequest, Conflict, Forbidden, Gone, TicketSafeError


class NotGateStaff(Forbidden):
    code = "not_gate_staff"
    title = "You are not gate staff for this event"


class CodeNotRecognised(BadRequest):
    code = Refusal.NOT_TICKETSAFE.value
    title = "Not a TicketSafe code"


class TicketNoLongerValid(Gone):
    code = Refusal.REVOKED.value
    title = "This ticket does not admit any more"


class ScanRefused(Conflict):
    code = "scan_refused"
    title = "Do not admit"


_CLASSES: dict[Refusal, type[TicketSafeError]] = {
    Refusal.NOT_TICKETSAFE: CodeNotRecognised,
    Refusal.REVOKED: TicketNoLongerValid,
    Refusal.SUPERSEDED: TicketNoLongerValid,
}


def refusal_error(verdict: Verdict) -> TicketSafeError:
    assert verdict.reason is not None
    extra: dict[str, Any] = {"admitted": False}
    if verdict.scanned is not None:
        extra |= {"ticket_id": verdict.scanned.claims.ticket_id, "kind": verdict.scanned.kind}
    if verdict.used_at is not None:
        extra |= {"used_at": verdict.used_at.isoformat(), "used_gate": verdict.used_gate}
    cls = _CLASSES.get(verdict.reason, ScanRefused)
    return cls(verdict.message, code=verdict.reason.value, **extra)
