"""Outbound webhooks to organizers: subscriptions, signed deliveries, retries, a log.

Event types are open-ended strings (`order.created`, `order.paid`, … and later
`ticket.*`): a new kind of event needs only a `publish` call, no change here.
"""
