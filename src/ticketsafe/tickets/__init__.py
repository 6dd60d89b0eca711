"""Tickets: issuance on order_paid, per-event signing keys, signed and rotating codes,
transfer, PDF and calendar documents."""
