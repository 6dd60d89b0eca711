"""CSV export of an event's orders and attendees, decrypted for the organizer only."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from ticketsafe.identity.service import open_pii
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.vault import PiiVault
from ticketsafe.orders import repository as repo

_COLUMNS = [
    "order_id", "status", "created_at", "buyer_name", "buyer_email", "line_id", "seat_id",
    "area_id", "ticket_type", "unit_cents", "currency", "line_status", "holder_name",
    "holder_cpf",
]  # fmt: skip
_ERASED = "(erased)"


async def attendees_csv(db: Database, vault: PiiVault, event_id: str) -> AsyncIterator[str]:
    """One row per ticket line, streamed page by page (in order-id order)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_COLUMNS)
    yield _drain(out)
    after_id = None
    while True:
        page = await repo.event_orders_after(db, event_id, after_id, limit=200)
        if not page:
            return
        for order in page:
            buyer = await open_pii(vault, order.buyer_id, order.buyer_sealed) or {}
            for line in order.lines:
                holder = await open_pii(vault, order.buyer_id, line.holder_sealed) or {}
                writer.writerow(
                    [
                        order.id, order.status.value, order.created_at.isoformat(),
                        buyer.get("name", _ERASED), buyer.get("email", _ERASED), line.line_id,
                        line.seat_id or "", line.area_id or "", line.ticket_type_id,
                        line.unit_cents, order.currency, line.status.value,
                        holder.get("name", _ERASED), holder.get("cpf", ""),
                    ]
                )  # fmt: skip
            yield _drain(out)
        after_id = page[-1].id


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
