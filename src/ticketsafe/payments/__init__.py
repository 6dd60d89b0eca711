"""Payments: provider interface and the providers (free, bank transfer, PIX, sandbox card),
and verification of the webhooks they send. Orders decide *when* to pay; this package only
knows *how*."""
