"""Typed failures of the tickets domain."""

from __future__ import annotations

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, NotFound


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    title = "No such ticket"


class TicketNotTransferable(Conflict):
    code = "ticket_not_transferable"
    title = "This ticket cannot be transferred"


class TransferLimitReached(BusinessRuleViolation):
    code = "transfer_limit_reached"
    title = "This ticket has been transferred as often as the event allows"


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    title = "No such transfer offer"
