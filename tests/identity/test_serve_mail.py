"""`ticketsafe serve` end to end: with no SMTP URL it runs its own SMTP server, and its
worker delivers a password-reset mail into data_dir/mail."""

from __future__ import annotations

import email
import email.policy
import signal
import stat
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.identity.conftest import body_of
from tests.roles.test_serve import ServeProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(tmp_path / "data")
    yield process
    if process.proc is not None:
        process.stop(signal.SIGKILL)


def test_serve_files_reset_mail_from_its_own_smtp_server(serve: ServeProcess) -> None:
    serve.start()
    with httpx.Client(base_url=serve.base, verify=serve.ca()) as http:
        created = http.post(
            "/auth/register",
            json={"email": "ana@example.com", "password": "correct horse battery", "name": "Ana"},
        )
        assert created.status_code == 201, created.text
        assert (
            http.post("/auth/password-reset", json={"email": "ana@example.com"}).status_code == 202
        )
    mail_dir = serve.data_dir / "mail"
    deadline = time.monotonic() + 30
    while not list(mail_dir.glob("*.eml")):
        assert time.monotonic() < deadline, "no mail filed"
        time.sleep(0.2)
    [path] = list(mail_dir.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert "https://localhost:" in body_of(message)
    assert "/account/reset-password#token=pr_" in body_of(message)
    keyring = serve.data_dir / "keys" / "pii-keyring.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    assert serve.stop() == 0
