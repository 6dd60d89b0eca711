from __future__ import annotations

import pytest

from ticketsafe.infra.signed_webhooks import WebhookSignatureInvalid, sign, verify

SECRET = "whsec_test_0123456789"
BODY = b'{"id":"evt_1","type":"charge.captured"}'


def test_valid_signature_accepted() -> None:
    header = sign(SECRET, BODY, timestamp=1_000_000)
    assert verify(SECRET, BODY, header, now=1_000_010) == 1_000_000


@pytest.mark.parametrize(
    ("header", "body", "secret"),
    [
        (None, BODY, SECRET),
        ("garbage", BODY, SECRET),
        (sign(SECRET, BODY, timestamp=1_000_000), BODY + b" ", SECRET),  # body altered
        (sign("other-secret", BODY, timestamp=1_000_000), BODY, SECRET),  # forged
        (sign(SECRET, BODY, timestamp=1_000_000).replace("t=1000000", "t=1000001"), BODY, SECRET),
    ],
)
def test_forgeries_refused(header: str | None, body: bytes, secret: str) -> None:
    with pytest.raises(WebhookSignatureInvalid):
        verify(secret, body, header, now=1_000_010)


def test_old_timestamp_refused() -> None:
    header = sign(SECRET, BODY, timestamp=1_000_000)
    with pytest.raises(WebhookSignatureInvalid, match="tolerance"):
        verify(SECRET, BODY, header, now=1_000_000 + 301)
