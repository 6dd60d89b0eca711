"""The waiting room's typed errors (see `ticketsafe.infra.errors` for the tree)."""

from __future__ import annotations

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class QueueNotFound(NotFound):
    code = "queue_not_found"
    title = "This event has no waiting room"


class QueueNotOpen(Conflict):
    code = "queue_not_open"
    title = "The waiting room is not open yet"


class QueueClosed(Conflict):
    code = "queue_closed"
    title = "The waiting room is closed"


class ChallengeInvalid(Forbidden):
    code = "challenge_invalid"
    title = "Proof of work refused"


class ChallengeReused(Conflict):
    code = "challenge_reused"
    title = "This challenge was already used; request a new one"


class AdmissionRequired(Forbidden):
    code = "admission_required"
    title = "Admission through the waiting room is required"


class AdmissionInvalid(Forbidden):
    code = "admission_invalid"
    title = "The admission token is not valid for this account and event"


class QueueConfigRejected(BusinessRuleViolation):
    code = "queue_config_rejected"
    title = "The waiting-room configuration was refused"
