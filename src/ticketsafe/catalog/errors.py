"""Catalog errors: typed, each with its own problem code (see `ticketsafe.infra.errors`)."""

from __future__ import annotations

from typing import Any

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class VenueNotFound(NotFound):
    code = "venue_not_found"
    title = "No such venue"


class EventNotFound(NotFound):
    code = "event_not_found"
    title = "No such event"


class NotAMember(Forbidden):
    code = "not_an_organization_member"
    title = "Not a member of this organization"


class LayoutInvalid(BusinessRuleViolation):
    """The seat map breaks rules across seats; `errors` lists every problem and where."""

    code = "invalid_layout"
    title = "The venue layout is invalid"

    def __init__(self, problems: list[dict[str, Any]], *, truncated: bool = False) -> None:
        detail = f"{len(problems)}{'+' if truncated else ''} problem(s) in the layout"
        super().__init__(detail, errors=problems, truncated=truncated)


class EventInvalid(BusinessRuleViolation):
    """The event does not fit its venue or is not ready for the requested step."""

    code = "invalid_event"
    title = "The event is invalid"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the event", errors=problems)


class VenueInUse(Conflict):
    code = "venue_in_use"
    title = "The venue is used by an event past draft"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "This status change is not allowed"


class EventNotEditable(Conflict):
    code = "event_not_editable"
    title = "The event can no longer be changed this way"


class StaleWrite(Conflict):
    code = "concurrent_change"
    title = "Changed by someone else meanwhile; reload and retry"
