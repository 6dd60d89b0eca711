"""SMTP sessions are reused across messages, bounded, and replaced when the relay has
dropped them — against real aiosmtpd servers on loopback ports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from ticketsafe.infra.child_process import free_port
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.mail.transport import OutgoingMail, SmtpTransport


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
