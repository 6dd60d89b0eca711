"""The inventory's failures, each with its own code (all rendered as problem+json)::

Conflict [409]
├── SoldOut              nothing (or not enough) left
├── SeatsTaken           some chosen seats are held or sold: lists them
├── NoAdjacentSeats      enough seats left, but not N together
├── HoldLimitExceeded    per-buyer limit (active holds + bought): carries the limit
├── HoldCommitting       the hold is being turned into an order
└── ExtensionRefused     already extended, or not yet inside the warning window
Gone [410]
├── HoldExpired          the hold expired or was released
└── HoldConverted        the hold became an order: carries its `order_id`
NotFound [404]
├── HoldNotFound
└── EventNotProvisioned
BusinessRuleViolation [422]
└── UnknownUnits         seat/area ids not in this event
ServiceBusy [503]
└── InventoryBusy        Redis/MongoDB unreachable: retry after a moment
"""

from __future__ import annotations

from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, Gone, NotFound, ServiceBusy


class SoldOut(Conflict):
    code = "sold_out"
    title = "Sold out"


class SeatsTaken(Conflict):
    code = "seats_taken"
    title = "Some seats are no longer available"


class NoAdjacentSeats(Conflict):
    code = "no_adjacent_seats"
    title = "Not enough adjacent seats together"


class HoldLimitExceeded(Conflict):
    code = "hold_limit_exceeded"
    title = "Per-buyer ticket limit reached"


class HoldCommitting(Conflict):
    code = "hold_committing"
    title = "The hold is being turned into an order"


class ExtensionRefused(Conflict):
    code = "extension_refused"
    title = "The hold cannot be extended now"


class HoldExpired(Gone):
    code = "hold_expired"
    title = "The hold expired"


class HoldConverted(Gone):
    code = "hold_converted"
    title = "The hold became an order"


class HoldNotFound(NotFound):
    code = "hold_not_found"
    title = "No such hold"


class EventNotProvisioned(NotFound):
    code = "event_not_provisioned"
    title = "This event has no inventory"


class UnknownUnits(BusinessRuleViolation):
    code = "unknown_units"
    title = "Unknown seats or areas for this event"


class InventoryBusy(ServiceBusy):
    code = "inventory_busy"
    title = "Inventory is busy, try again shortly"
