"""TicketSafe: ticket sales for events that sell out in minutes."""

__version__ = "0.1.0"
