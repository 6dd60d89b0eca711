"""Getting tickets to people: the order's PDF and calendar entry, downloadable by the
buyer (and a ticket's PDF by its holder), and e-mailed once after issuance.

The issuing job sends the e-mail once the tickets are in place (or queues it, when no
SMTP relay is set or the relay does not take it), with the order and the tickets it just
wrote (`mail_tickets`; a PDF costs about 0.7 ms of CPU plus 0.6 ms a
page, and a job of its own read the order, its tickets and their admissions again); if
that fails, the e-mail gets a job of its own (`tickets.mail`, `mail_order`), which reads
them. It is the order's receipt too (the order sends none of its own: one e-mail per
paid order), and it is sent once per order: the issuing job mails only tickets it issued
first, and the e-mail's id, derived from the order's, lets the outbox's primary key
refuse a second one queued (the e-mail's own job, run twice).
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from ticketsafe.catalog.read_models import EventCard, get_event_card, get_sales_view
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.service import open_pii
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.vault import PiiVault
from ticketsafe.mail.outbox import Letter, send_or_queue
from ticketsafe.mail.transport import Attachment, SmtpTransport
from ticketsafe.orders.errors import OrderNotFound
from ticketsafe.orders.models import Order
from ticketsafe.orders.read_models import get_order, total_text
from ticketsafe.tickets.documents import PrintedTicket, event_ics, tickets_pdf
from ticketsafe.tickets.mails import TICKETS_READY
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import TicketService

MAIL_JOB = "tickets.mail"


def tickets_mail_id(order_id: str) -> str:
    """The id of an order's tickets e-mail: derived from the order's, so once-only."""
    return "mail_tickets_" + order_id.removeprefix("ord_")


class Delivery:
    def __init__(self, tickets: TicketService, vault: PiiVault) -> None:
        self.tickets = tickets
        self.vault = vault

    async def order_pdf(self, buyer: Principal, order_id: str) -> bytes:
        order = await self._buyers_order(buyer, order_id)
        return await self._pdf(order, await self.tickets.of_order_for_buyer(buyer, order_id))

    async def order_ics(self, buyer: Principal, order_id: str) -> bytes:
        order = await self._buyers_order(buyer, order_id)
        return event_ics(await get_event_card(self.tickets.db, order.event_id), order.id)

    async def ticket_pdf(self, holder: Principal, ticket_id: str) -> bytes:
        ticket = await self.tickets.get_for_holder(holder, ticket_id)
        order = await get_order(self.tickets.db, ticket.order_id)
        assert order is not None  # a ticket is only ever issued for an order
        return await self._pdf(order, [ticket])

    async def mail_order(self, order_id: str, jobs: JobBuffer) -> str | None:
        """E-mail the buyer their tickets (PDF + .ics), once; the mail id, or None."""
        order = await get_order(self.tickets.db, order_id)
        if order is None:
            return None
        return await self.mail_tickets(
            order, [t for t in await self.tickets.of_order(order) if t.admits], jobs
        )

    async def mail_tickets(
        self,
        order: Order,
        issued: list[Ticket],
        jobs: JobBuffer,
        transport: SmtpTransport | None = None,
    ) -> str | None:
        """`mail_order` for the order and its tickets that admit, already at hand (the
        issuing job's). With the worker's `transport`, sent at once (`send_or_queue`)."""
        buyer = await open_pii(self.vault, order.buyer_id, order.buyer_sealed)
        if not issued or buyer is None:
            return None
        # The same minute's age as the ticket type names the PDF reads (`_pdf`).
        card = await get_event_card(self.tickets.db, order.event_id, max_age_s=60.0)
        attachments = [
            Attachment(
                f"tickets-{order.id}.pdf", "application/pdf", await self._pdf(order, issued, card)
            ),
            Attachment("event.ics", "text/calendar", event_ics(card, order.id)),
        ]
        params = {
            "name": buyer["name"], "event": card.name, "count": str(len(issued)),
            "order_id": order.id, "total": total_text(order),
        }  # fmt: skip
        try:
            letter = Letter(
                order.buyer_id, buyer["email"], order.locale, TICKETS_READY, params,
                tickets_mail_id(order.id), attachments,
            )  # fmt: skip
            return await send_or_queue(self.tickets.db, self.vault, jobs, transport, letter)
        except DuplicateKeyError:  # queued already (the e-mail's own job, run twice)
            return None

    async def _buyers_order(self, buyer: Principal, order_id: str) -> Order:
        order = await get_order(self.tickets.db, order_id)
        if order is None or order.buyer_id != buyer.user_id:
            raise OrderNotFound()
        return order

    async def _pdf(
        self, order: Order, tickets: list[Ticket], card: EventCard | None = None
    ) -> bytes:
        view = await get_sales_view(self.tickets.db, order.event_id, max_age_s=60.0)  # names
        lines = {line.line_id: line for line in order.lines}
        printed = []
        for ticket in tickets:
            holder = None
            if ticket.holder_id == order.buyer_id:  # a transferred ticket's name is not ours
                sealed = lines[ticket.line_id].holder_sealed
                fields = await open_pii(self.vault, order.buyer_id, sealed) if sealed else None
                holder = fields.get("name") if fields else None
            kind = view.ticket_type(ticket.ticket_type_id)
            printed.append(
                PrintedTicket(
                    ticket.id, ticket.place, kind.name if kind else ticket.ticket_type_id,
                    holder, await self.tickets.static_code(ticket),
                )
            )  # fmt: skip
        card = card or await get_event_card(self.tickets.db, order.event_id)
        return tickets_pdf(card, printed)
