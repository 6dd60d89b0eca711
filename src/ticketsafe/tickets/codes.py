"""Ticket codes: what a QR carries, and the checks a gate can run without a network.

A code is ``TS1.<payload>.<signature>`` (base64url, no padding): the payload is the
compact JSON list ``[ticket_id, event_id, place, ticket_type_id, version]`` (place is
``s:<seat id>`` or ``a:<GA area id>``) and the signature is the event's Ed25519 key over
``TS1.`` + payload. Anyone holding the event's public key can tell a TicketSafe code from
a forged or altered one; whether it still admits (version, revocation, already used) is
the gate's question, not the code's.

The app shows the *live* code: the signed code, ``~``, and a time-based one-time value
(RFC 6238: HMAC-SHA1 over 15-second steps, 6 digits) from a secret only the holder's
session receives. A screenshot stops scanning once its step leaves the gate's window.
The bare signed code is the printable (PDF) fallback an organizer may disable.

Everything here is pure and bounded: a code longer than `MAX_CODE_CHARS`, not ASCII,
or not of this shape raises `MalformedCode` before any decoding work.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "TS1"
LIVE_SEPARATOR = "~"
MAX_CODE_CHARS = 512
STEP_S = 15
DIGITS = 6
_FIELDS = 5


class MalformedCode(ValueError):
    """Not a TicketSafe code (wrong shape, truncated, re-encoded, oversized)."""


@dataclass(frozen=True)
class TicketClaims:
    ticket_id: str
    event_id: str
    place: str  # "s:<seat id>" or "a:<area id>"
    ticket_type_id: str
    version: int

    def payload(self) -> bytes:
        fields = [self.ticket_id, self.event_id, self.place, self.ticket_type_id, self.version]
        return orjson.dumps(fields)


@dataclass(frozen=True)
class ScannedCode:
    """A parsed code: its claims, what was signed, the signature, and the one-time value
    when it is a live code (None: the static, printable code)."""

    claims: TicketClaims
    signed: bytes
    signature: bytes
    otp: str | None

    @property
    def kind(self) -> str:
        return "static" if self.otp is None else "live"

    def signature_valid(self, public_key: bytes | Ed25519PublicKey) -> bool:
        """Against the event's key, raw or already loaded (a server keeps it loaded)."""
        try:
            if isinstance(public_key, bytes):
                public_key = Ed25519PublicKey.from_public_bytes(public_key)
            public_key.verify(self.signature, self.signed)
        except (InvalidSignature, ValueError):
            return False
        return True

    def issued_by(self, private_key: Ed25519PrivateKey) -> bool:
        """The server's check, for the holder of the event's private key: the same
        answer as `signature_valid` for every code it issued, at a third of the cost
        (on this machine ~65 µs to sign, ~220 µs to verify). Ed25519 signing is
        deterministic (RFC 8032): a code we signed carries exactly the signature we
        compute again, compared in constant time; anything else is refused, as is any
        other valid signature, which only the private key could have made."""
        return hmac.compare_digest(private_key.sign(self.signed), self.signature)


def place_of(seat_id: str | None, area_id: str | None) -> str:
    if seat_id:
        return f"s:{seat_id}"
    if area_id:
        return f"a:{area_id}"
    raise ValueError("a ticket is for a seat or a GA area")


def sign(private_key: Ed25519PrivateKey, claims: TicketClaims) -> str:
    payload = _b64(claims.payload())
    signature = private_key.sign(f"{PREFIX}.{payload}".encode())
    return f"{PREFIX}.{payload}.{_b64(signature)}"


def live(static_code: str, secret: bytes, at: float) -> str:
    return f"{static_code}{LIVE_SEPARATOR}{totp(secret, at)}"


def parse(code: str) -> ScannedCode:
    if len(code) > MAX_CODE_CHARS or not code.isascii():
        raise MalformedCode("oversized or not ASCII")
    static, sep, otp = code.strip().partition(LIVE_SEPARATOR)
    if sep and (len(otp) != DIGITS or not otp.isdigit()):
        raise MalformedCode("bad one-time value")
    parts = static.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise MalformedCode("not a TS1 code")
    payload, signature = _unb64(parts[1]), _unb64(parts[2])
    if len(signature) != 64:
        raise MalformedCode("bad signature length")
    try:
        fields = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise MalformedCode("bad payload") from None
    if not (
        isinstance(fields, list)
        and len(fields) == _FIELDS
        and all(isinstance(f, str) and f for f in fields[:4])
        and type(fields[4]) is int
        and fields[4] > 0
    ):
        raise MalformedCode("bad payload fields")
    claims = TicketClaims(fields[0], fields[1], fields[2], fields[3], fields[4])
    return ScannedCode(claims, f"{PREFIX}.{parts[1]}".encode(), signature, otp if sep else None)


def totp(secret: bytes, at: float, step_offset: int = 0) -> str:
    """RFC 6238 (HOTP over the step counter), `STEP_S`-second steps."""
    counter = int(at // STEP_S) + step_offset
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[start : start + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def otp_matches(secret: bytes, otp: str, at: float, window_steps: int) -> bool:
    """The value of the current step or one of the `window_steps` before it (a phone and
    a gate a few seconds apart, the time to scan), or of the next step (clock skew)."""
    # The current step first: it is the one a live code nearly always shows, so most scans
    # compute one value instead of the window's four.
    offsets = sorted(range(-window_steps, 2), key=abs)
    return any(hmac.compare_digest(totp(secret, at, offset), otp) for offset in offsets)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or len(text) % 4 == 1:
        raise MalformedCode("truncated")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCode("not base64url") from None
