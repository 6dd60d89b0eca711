"""Orders: checkout from a hold, payment, refunds and cancellations, organizer views."""
