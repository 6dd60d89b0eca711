"""Typed failures of checkout and order management."""

from __future__ import annotations

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, Forbidden, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "No such order"


class EventNotOnSale(Conflict):
    code = "event_not_on_sale"
    title = "The event is not on sale"


class PriceChanged(Conflict):
    code = "price_changed"
    title = "The total differs from what was shown"


class TicketsDoNotMatchHold(BusinessRuleViolation):
    code = "tickets_do_not_match_hold"
    title = "Every held seat/unit needs exactly one ticket"


class TicketTypeRefused(BusinessRuleViolation):
    code = "ticket_type_refused"
    title = "This ticket type cannot be used here"


class CourtesyNotAllowed(Forbidden):
    code = "courtesy_not_allowed"
    title = "Only the organizer issues courtesy tickets"


class QuotaExhausted(Conflict):
    code = "ticket_type_sold_out"
    title = "No tickets of this type are left"


class CpfRequired(BusinessRuleViolation):
    code = "cpf_required"
    title = "This event needs a valid CPF for every ticket holder"


class PaymentDeclined(Conflict):
    code = "payment_declined"
    title = "The payment was declined; the seats were released"


class CancellationNotAllowed(Conflict):
    code = "cancellation_not_allowed"
    title = "This order cannot be cancelled by the buyer"
