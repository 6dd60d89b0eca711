"""The server's check of a code (signing it again) agrees with a gate's verification for
every code the event's key issued, and refuses everything else."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ticketsafe.tickets import codes

CLAIMS = codes.TicketClaims("tkt_1", "evt_1", "s:A:r-1:s-1", "full", 1)


def test_an_issued_code_passes_both_checks() -> None:
    key = Ed25519PrivateKey.generate()
    for claims in (CLAIMS, codes.TicketClaims("tkt_2", "evt_1", "a:pista", "half", 3)):
        scanned = codes.parse(codes.sign(key, claims))
        assert scanned.issued_by(key)
        assert scanned.signature_valid(key.public_key())


def test_anything_not_issued_by_the_key_is_refused() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    assert not codes.parse(codes.sign(other, CLAIMS)).issued_by(key)
    prefix, _, signature = codes.sign(key, CLAIMS).split(".")
    better = codes.TicketClaims("tkt_1", "evt_1", "s:A:r-1:s-9", "full", 1)
    payload = base64.urlsafe_b64encode(better.payload()).decode().rstrip("=")
    assert not codes.parse(f"{prefix}.{payload}.{signature}").issued_by(key)
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    _, payload, _ = codes.sign(key, CLAIMS).split(".")
    assert not codes.parse(f"{prefix}.{payload}.{flipped}").issued_by(key)
