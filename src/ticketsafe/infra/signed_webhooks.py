"""Signed webhooks: `Ticketsafe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
`"<t>.<raw body>"` (the Stripe-style scheme), the same for the PSP's webhooks to us and
ours to organizers. Verification checks the signature in constant time and refuses
timestamps outside a tolerance window, so a captured request cannot be replayed later;
replays inside the window are the receiver's to catch (`payments.webhooks`)."""

from __future__ import annotations

import hashlib
import hmac
import time

from ticketsafe.infra.errors import Unauthenticated

SIGNATURE_HEADER = "Ticketsafe-Signature"
DEFAULT_TOLERANCE_S = 300


class WebhookSignatureInvalid(Unauthenticated):
    code = "webhook_signature_invalid"
    title = "Webhook signature invalid"


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> int:
    """Return the signed timestamp, or raise WebhookSignatureInvalid."""
    if not header:
        raise WebhookSignatureInvalid("missing signature header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts["t"])
    except (KeyError, ValueError):
        raise WebhookSignatureInvalid("malformed signature header") from None
    expected = sign(secret, body, timestamp=ts).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise WebhookSignatureInvalid("signature does not match")
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        raise WebhookSignatureInvalid("signature timestamp outside the tolerance window")
    return ts
