"""SMTP delivery (aiosmtplib). `smtp://` uses STARTTLS when the server offers it,
`smtps://` implicit TLS; credentials come from the URL's user info."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str


class SmtpTransport:
    def __init__(self, url: str, sender: str, *, timeout_s: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP URL must be smtp://host:port or smtps://host:port")
        self._host = parts.hostname
        self._tls = parts.scheme == "smtps"
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._timeout_s = timeout_s

    async def send(self, mail: OutgoingMail) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.text)
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            username=self._user,
            password=self._password,
            use_tls=self._tls,
            start_tls=None if not self._tls else False,
            timeout=self._timeout_s,
        )
