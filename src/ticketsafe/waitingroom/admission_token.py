"""Admission tokens: short-lived, signed, bound to one account and one event.

`v1.<event>.<user b64>.<expires ms>.<HMAC>`: verifiable on any API instance without a
store lookup. Copying it to another account fails (the user id is signed in), and it
expires `token_ttl_s` after admission whether used or not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from ticketsafe.waitingroom.errors import AdmissionInvalid


@dataclass(frozen=True)
class AdmissionClaims:
    event_id: str
    user_id: str
    expires_ms: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AdmissionTokenCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:20])

    def issue(self, event_id: str, user_id: str, expires_ms: int) -> str:
        body = f"v1.{_b64(event_id.encode())}.{_b64(user_id.encode())}.{expires_ms}"
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, *, now_ms: int | None = None) -> AdmissionClaims:
        try:
            version, ev, user, expires, sig = token.split(".")
            body = f"{version}.{ev}.{user}.{expires}"
            claims = AdmissionClaims(_unb64(ev).decode(), _unb64(user).decode(), int(expires))
        except (ValueError, UnicodeDecodeError):
            raise AdmissionInvalid("malformed admission token") from None
        if version != "v1" or not hmac.compare_digest(sig, self._sign(body)):
            raise AdmissionInvalid("admission token signature is invalid")
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        if claims.expires_ms <= now:
            raise AdmissionInvalid("admission token expired", code="admission_expired")
        return claims
