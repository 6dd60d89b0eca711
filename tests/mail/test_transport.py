"""SMTP sessions are reused across messages, bounded, and replaced when the relay has
dropped them — against real aiosmtpd servers on loopback ports."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from ticketsafe.infra.child_process import free_port
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.mail.transport import OutgoingMail, SmtpTransport, compose


class _Peers:
    """Accepts every message and notes which client connection (peer) carried it."""

    def __init__(self) -> None:
        self.peers: list[Any] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.peers.append(session.peer)
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[_Peers, int]]:
    handler, port = _Peers(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _mail(n: int) -> OutgoingMail:
    return OutgoingMail("ana@example.com", f"Recibo {n}", "Obrigado.")


async def test_messages_share_one_session(relay: tuple[_Peers, int]) -> None:
    handler, port = relay
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", "x@localhost")
    for n in range(5):
        await transport.send(_mail(n))
    await transport.close()
    assert len(handler.peers) == 5
    assert len(set(handler.peers)) == 1


async def test_concurrent_messages_use_at_most_max_sessions(relay: tuple[_Peers, int]) -> None:
    handler, port = relay
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", "x@localhost", max_sessions=2)
    await asyncio.gather(*(transport.send(_mail(n)) for n in range(12)))
    await transport.close()
    assert len(handler.peers) == 12
    assert 1 <= len(set(handler.peers)) <= 2


async def test_a_session_idle_too_long_is_replaced(relay: tuple[_Peers, int]) -> None:
    handler, port = relay
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", "x@localhost", idle_s=0.0)
    await transport.send(_mail(1))
    await asyncio.sleep(0.01)
    await transport.send(_mail(2))
    await transport.close()
    assert len(set(handler.peers)) == 2


async def test_a_session_the_relay_dropped_is_reopened_once(tmp_path: Path) -> None:
    port = free_port()
    first = MailCatcher(tmp_path / "a", port=port)
    first.start()
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", "x@localhost")
    await transport.send(_mail(1))
    first.stop()  # the relay restarts: the kept session is dead
    second = MailCatcher(tmp_path / "b", port=port)
    second.start()
    try:
        await transport.send(_mail(2))
        await transport.close()
    finally:
        second.stop()
    assert len(first.messages()) == 1
    assert len(second.messages()) == 1


async def test_an_unreachable_relay_still_raises(relay: tuple[_Peers, int]) -> None:
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", "x@localhost", timeout_s=2)
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await transport.send(_mail(1))


def test_a_composed_message_reads_back_as_written() -> None:
    text = "Olá Ana,\nredefina em https://tickets.test/reset?token=abc_def-123&x=1\n"
    raw = compose(
        "TicketSafe Ingressos São Paulo <no-reply@ticketsafe.dev>",
        OutgoingMail("ana@example.com", "Seu pedido está confirmado — ord_1", text),
    ).as_bytes()
    assert raw.isascii()  # 7-bit clean: any relay takes it
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "Seu pedido está confirmado — ord_1"
    assert message["From"].addresses[0].display_name == "TicketSafe Ingressos São Paulo"
    assert message["To"] == "ana@example.com"
    assert message["Date"]
    assert message["Message-ID"].endswith("@ticketsafe.dev>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == text


@pytest.mark.parametrize(
    "mail",
    [
        OutgoingMail("ana@example.com\r\nBcc: all@example.com", "Recibo", "x"),
        OutgoingMail("ana@example.com", "Recibo\nBcc: all@example.com", "x"),
    ],
)
def test_a_header_value_spanning_lines_is_refused(mail: OutgoingMail) -> None:
    with pytest.raises(ValueError, match="single line"):
        compose("x@localhost", mail)
