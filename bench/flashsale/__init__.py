"""The flash-sale benchmark: a real TicketSafe, many concurrent simulated buyers through
queue → hold → checkout → payment, and a report (JSON, Markdown row, PNG)."""
