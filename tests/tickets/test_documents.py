"""PDF and calendar: downloadable by the buyer and the holder, e-mailed once as
attachments after issuance."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from fpdf import FPDF

from tests.orders.conftest import Sale, run_jobs
from tests.tickets.conftest import issued_order, mailed_tickets, paid_order
from ticketsafe.catalog.read_models import EventCard
from ticketsafe.infra.crypto.keyring import load_keyring
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.vault import PiiVault
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.mail.outbox import OUTBOX, deliver
from ticketsafe.mail.transport import SmtpTransport
from ticketsafe.roles.worker import Worker
from ticketsafe.tickets.delivery import MAIL_JOB, Delivery, tickets_mail_id
from ticketsafe.tickets.documents import PrintedTicket, printed_line, qr_image, tickets_pdf
from ticketsafe.tickets.service import TicketService

SEATS = {"kind": "seats", "seat_ids": ["A:r-1:s-3", "A:r-1:s-4"]}


async def test_the_buyer_downloads_the_pdf_and_the_calendar(sale: Sale, worker: Worker) -> None:
    order, tickets = await issued_order(sale, worker, "usr_1", SEATS)
    buyer = sale.buyer("usr_1")
    pdf = await sale.client.get(f"/orders/{order['id']}/tickets.pdf", headers=buyer)
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.content.count(b"/Type /Page\n") == 2
    ics = await sale.client.get(f"/orders/{order['id']}/event.ics", headers=buyer)
    assert ics.headers["content-type"].startswith("text/calendar")
    assert b"SUMMARY:Show de Teste\r\n" in ics.content
    assert b"BEGIN:VEVENT" in ics.content
    one = await sale.client.get(f"/me/tickets/{tickets[0]['id']}/ticket.pdf", headers=buyer)
    assert one.status_code == 200
    assert one.content.count(b"/Type /Page\n") == 1
    for url in (f"/orders/{order['id']}/tickets.pdf", f"/me/tickets/{tickets[0]['id']}/ticket.pdf"):
        assert (await sale.client.get(url, headers=sale.buyer("usr_2"))).status_code == 404


async def test_the_tickets_are_mailed_once_with_pdf_and_ics(
    sale: Sale, worker: Worker, resources: Resources, tmp_path: Path
) -> None:
    order, _ = await issued_order(sale, worker, "usr_1", SEATS)
    queued = await resources.db[OUTBOX].find({"template": "tickets.ready"}).to_list()
    assert len(queued) == 1
    keyring = load_keyring(resources.settings)
    vault = PiiVault(resources.db, keyring)
    again = Delivery(TicketService(resources.db, keyring), vault)  # the job run twice
    assert await again.mail_order(order["id"], JobBuffer()) is None
    await worker.registry.handlers[MAIL_JOB](worker.context, order_id=order["id"])
    await run_jobs(worker)
    assert await resources.db[OUTBOX].count_documents({"template": "tickets.ready"}) == 1
    catcher = MailCatcher(tmp_path / "mail")
    catcher.start()
    try:
        transport = SmtpTransport(catcher.url, "TicketSafe <no-reply@localhost>")
        assert await deliver(resources.db, vault, transport, queued[0]["_id"]) == "sent"
        await transport.close()
        [path] = catcher.messages()
    finally:
        catcher.stop()
    message, _ = mailed_tickets(path)
    assert message["To"] == "ana@example.com.br"


CODE = "TS1." + "eyJ0IjoidGt0XzAxIiwiZSI6ImV2XzAxIn0" + "." + "s1gn4tur3-_" * 8


def test_the_printed_qr_reads_back_as_the_code() -> None:
    """A reader decodes the QR image, one pixel a module with the quiet zone."""
    image = qr_image(CODE)
    assert image.width == image.height
    assert image.getpixel((0, 0)) == 255  # the quiet zone
    [read] = zxingcpp.read_barcodes(image)
    assert (read.format, read.text) == (zxingcpp.BarcodeFormat.QRCode, CODE)


def test_the_pdfs_qr_read_from_its_rendered_page_is_the_code() -> None:
    """The page as a viewer or printer draws it (PDFium, Chrome's renderer), at screen
    and print resolutions: the QR scanned off it is the ticket's code."""
    card = EventCard(
        "evt_1", "Show de Teste", "Allianz Parque", "São Paulo",
        datetime(2027, 3, 1, 23, tzinfo=UTC), datetime(2027, 3, 2, 2, tzinfo=UTC),
        "America/Sao_Paulo",
    )  # fmt: skip
    pdf = tickets_pdf(card, [PrintedTicket("tkt_1", "s:A:r-1:s-1", "Inteira", "Ana", CODE)])
    page = pdfium.PdfDocument(pdf)[0]
    for dpi in (72, 150, 300):
        [read] = zxingcpp.read_barcodes(page.render(scale=dpi / 72).to_pil())
        assert read.text == CODE, dpi


def test_a_printed_line_sits_where_fpdfs_cell_puts_it() -> None:
    def text_positions(write: Callable[[FPDF], None]) -> list[bytes]:
        pdf = FPDF(format=(148, 210))
        pdf.set_compression(False)
        pdf.add_page()
        pdf.set_font("helvetica", "", 11)
        write(pdf)
        return re.findall(rb"BT [\d.]+ [\d.]+ Td", bytes(pdf.output()))

    def cells(pdf: FPDF) -> None:
        for height in (8, 6, 3.5):
            pdf.cell(0, height, "Holder: Ana", new_x="LMARGIN", new_y="NEXT")

    def lines(pdf: FPDF) -> None:
        for height in (8, 6, 3.5):
            printed_line(pdf, height, "Holder: Ana")

    assert len(text_positions(lines)) == 3
    assert text_positions(lines) == text_positions(cells)


async def test_a_tickets_mail_the_issuing_job_cannot_queue_gets_a_job_of_its_own(
    sale: Sale, worker: Worker, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    await issued_order(sale, worker, "usr_2", {"kind": "seats", "seat_ids": ["A:r-1:s-5"]})
    order = await paid_order(sale, "usr_1", SEATS)
    # The event's keys exist already, so the issuing job's first insert is the tickets'
    # and its next one the e-mail's: that one fails.
    admin = resources.db.client.admin
    await admin.command(
        {"configureFailPoint": "failCommand", "mode": {"skip": 1, "times": 1},
         "data": {"failCommands": ["insert"], "errorCode": 2}}
    )  # fmt: skip
    try:
        await run_jobs(worker)
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})
    # The issuing job's insert failed; the e-mail's own job, run next, queued it.
    assert [r.message for r in caplog.records if r.name == "ticketsafe.tickets"] == [
        "tickets e-mail left to its own job"
    ]
    mail_id = tickets_mail_id(order["id"])
    assert await resources.db[OUTBOX].count_documents({"_id": mail_id}) == 1
