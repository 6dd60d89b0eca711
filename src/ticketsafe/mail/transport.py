"""SMTP delivery (aiosmtplib). `smtp://` uses STARTTLS when the server offers it,
`smtps://` implicit TLS; credentials come from the URL's user info.

Sessions are kept open and reused, as mail relays expect from a sender of many messages:
a new connection per message costs a TCP handshake, the greeting, EHLO (and STARTTLS,
AUTH), QUIT and a host-name lookup, several times the message itself. At most
`max_sessions` are open at once (a session carries one message at a time); one idle
longer than `idle_s` is closed before use, and a reused session found broken (the
relay closed it while idle) is replaced once for the message that found it so.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # readable in any mail client's "view source", 7-bit safe


def compose(sender: str, mail: OutgoingMail) -> Message:
    """The message as sent: a UTF-8 text part with From, To, Subject (RFC 2047 encoded),
    Date and Message-ID. Built on the email package's compat32 classes: the default
    policy's header objects (`EmailMessage`) cost ~10 ms of CPU per receipt on this
    machine, six times the whole message. Header values must be one line each: a CR or
    LF (header injection) is refused, whatever the caller validated."""
    if any(ch in value for value in (sender, mail.to, mail.subject) for ch in "\r\n"):
        raise ValueError("mail header values must be a single line")
    name, address = parseaddr(sender)
    message: Message = Message()  # compat32; with the charset: text/plain, quoted-printable
    message.set_payload(mail.text, _UTF8)
    if mail.attachments:
        message = _with_attachments(message, mail.attachments)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = mail.to
    message["Subject"] = Header(mail.subject, "utf-8").encode()
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or "localhost")
    return message


def _with_attachments(text: Message, attachments: tuple[Attachment, ...]) -> Message:
    """multipart/mixed: the text part, then each attachment (base64)."""
    mixed = MIMEMultipart("mixed")
    mixed.attach(text)
    for attachment in attachments:
        if any(ch in attachment.filename for ch in '\r\n"'):
            raise ValueError("attachment file names must be a single plain line")
        maintype, _, subtype = attachment.content_type.partition("/")
        part = (
            MIMEApplication(attachment.data, subtype)
            if maintype == "application"
            else (MIMEBase(maintype, subtype))
        )
        if maintype != "application":
            part.set_payload(attachment.data)
            encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
        mixed.attach(part)
    return mixed


@dataclass
class _Session:
    client: aiosmtplib.SMTP
    last_used: float


class SmtpTransport:
    def __init__(
        self,
        url: str,
        sender: str,
        *,
        timeout_s: float = 10.0,
        max_sessions: int = 4,
        idle_s: float = 30.0,
    ) -> None:
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
        self._max_sessions = max_sessions
        self._idle_s = idle_s
        self._local_hostname: str | None = None
        self._idle: list[_Session] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self, mail: OutgoingMail) -> None:
        message = compose(self._sender, mail)
        async with self._slot():
            session, reused = await self._take()
            while True:
                try:
                    await session.client.send_message(message)
                    break
                except aiosmtplib.SMTPServerDisconnected:
                    session.client.close()
                    if not reused:
                        raise
                    # Closed by the relay while idle: nothing of this message was
                    # accepted. Once more, on a new session.
                    session, reused = await self._take(fresh=True)
                except BaseException:
                    session.client.close()  # a refusal or a timeout: start the next clean
                    raise
            session.last_used = time.monotonic()
            self._idle.append(session)

    async def close(self) -> None:
        """QUIT every idle session (the worker's shutdown; tests)."""
        sessions, self._idle = self._idle, []
        for session in sessions:
            try:
                await session.client.quit()
            except (aiosmtplib.SMTPException, OSError):
                session.client.close()

    def _slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            # Sessions belong to the event loop that opened them: a new loop starts afresh.
            for session in self._idle:
                session.client.close()
            self._idle = []
            self._slots = asyncio.Semaphore(self._max_sessions)
            self._loop = loop
        return self._slots

    async def _take(self, *, fresh: bool = False) -> tuple[_Session, bool]:
        """An open session (the most recently used idle one), or a new one: (session,
        whether it was reused)."""
        now = time.monotonic()
        while self._idle and not fresh:
            session = self._idle.pop()
            if now - session.last_used <= self._idle_s and session.client.is_connected:
                return session, True
            session.client.close()  # the relay will have dropped it (or soon will)
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._user,
            password=self._password,
            use_tls=self._tls,
            start_tls=None if not self._tls else False,
            timeout=self._timeout_s,
            local_hostname=self._local_hostname,
        )
        await client.connect()
        return _Session(client, now), False
