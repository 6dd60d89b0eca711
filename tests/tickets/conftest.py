"""Paid orders through the real HTTP API, and a worker that issues their tickets."""

from __future__ import annotations

import email
from email.message import Message
from pathlib import Path
from typing import Any

from tests.orders.conftest import Sale, run_jobs, sale, worker
from tests.orders.test_checkout import VISA_OK, card
from ticketsafe.roles.worker import Worker

__all__ = ["issued_order", "mailed_tickets", "paid_order", "sale", "worker"]


async def paid_order(sale: Sale, user: str, hold: dict[str, Any]) -> dict[str, Any]:
    buyer = sale.buyer(user)
    held = await sale.hold(buyer, hold)
    r = await sale.checkout(
        buyer, held, method="card_sandbox", card_token=await card(sale.client, VISA_OK)
    )
    assert r.json()["status"] == "paid", r.text
    return dict(r.json())


async def issued_order(
    sale: Sale, worker: Worker, user: str, hold: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A paid order and its tickets, issued by the worker's jobs."""
    order = await paid_order(sale, user, hold)
    await run_jobs(worker)
    r = await sale.client.get(f"/orders/{order['id']}/tickets", headers=sale.buyer(user))
    assert r.status_code == 200, r.text
    return order, list(r.json())


def mailed_tickets(path: Path) -> tuple[Message, bytes]:
    """A tickets e-mail as the relay took it: the message, checked to hold the text, the
    PDF and the calendar entry in that order, and its PDF."""
    message = email.message_from_bytes(path.read_bytes())
    parts: list[Message] = [p for p in message.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "application/pdf",
        "text/calendar",
    ]
    pdf = parts[1].get_payload(decode=True)
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-")
    return message, pdf
