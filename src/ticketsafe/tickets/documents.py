"""Printable tickets (PDF, fpdf2) and the calendar entry (.ics, RFC 5545) of an order.

The PDF carries the *static* code as its QR (zxing-cpp): it admits only where the organizer
allows printed codes, and like every code it dies with a transfer or a refund. Built on
request and in the tickets e-mail, never stored. fpdf2's core fonts are Latin-1: names
outside it print with '?' in place of the characters it lacks.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import zxingcpp
from fpdf import FPDF, image_parsing
from PIL import Image

from ticketsafe.catalog.read_models import EventCard

TERMS = (
    "This ticket admits one person once. It is valid only with a TicketSafe signature and "
    "stops working if it is refunded or transferred. The live code in the TicketSafe app "
    "is always accepted; this printed code only where the organizer allows it. "
    "Ingresso pessoal, válido para uma entrada."
)


# Wrapped once here: fpdf2's own line breaking (multi_cell) measured every glyph of every
# page, half of a page's CPU.
_TERMS_LINES = textwrap.wrap(TERMS.encode("latin-1", "replace").decode("latin-1"), 100)


# zlib's default level (6) spent about 0.2 ms on each QR image (3.3 KB of short runs of
# equal bytes: every match search walks the whole hash chain). Level 1 compresses one in
# about 20 µs, to 650 bytes instead of 500. fpdf2 compresses images (only images) at this
# process-wide level; this module is fpdf2's only user.
image_parsing.SETTINGS.compression_level = 1

QR_MASK = 3  # ISO/IEC 18004 data mask pattern 3: (row + column) mod 3 == 0


def qr_image(code: str) -> Image.Image:
    """The code's QR (error correction M, the standard 4-module quiet zone) as a
    greyscale image of one pixel per module, made by zxing-cpp (C++): segno's
    pure-Python encoder and its PNG writer, with fpdf2 reading that PNG back, took about
    4.5 of a page's 4.7 ms on this machine (timed apart), and the PDF was the largest
    share of the worker's CPU during a sale.

    The page draws it 70 mm wide without interpolation (the PDF default): PDFium
    renders each module as a sharp square and its QR reads back at 72 to 300 dpi (a
    test does so). Drawn at 4 pixels a module instead, fpdf2 compressed 16 times the
    pixels for the same picture.

    The data mask is fixed (`QR_MASK`, one of the eight the standard allows): choosing
    it by the standard's penalty score made zxing-cpp try all eight, and encoding a
    ticket's code took 0.54-0.77 ms instead of 0.09 ms. A code is mostly base64 of a
    signature, with none of the regular patterns the score guards against. Blurred,
    shrunk and noisy copies of 500 codes read back alike with either mask
    (`bench/qr_mask.py`: 98.8 and 99.0 %, 56.8 and 57.4 % at the two strengths where
    any failed). With zlib at level 1 (above), a PDF of two tickets takes 1.8 ms, not
    4.6 ms (best of five runs of 150)."""
    symbol = zxingcpp.create_barcode(
        code, zxingcpp.BarcodeFormat.QRCode, ec_level="M", data_mask=QR_MASK
    )
    return Image.fromarray(symbol.to_image(scale=1, add_quiet_zones=True))


@dataclass(frozen=True)
class PrintedTicket:
    ticket_id: str
    place: str  # "s:<seat>" | "a:<area>"
    ticket_type: str
    holder_name: str | None
    code: str


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def place_words(place: str) -> str:
    kind, _, where = place.partition(":")
    if kind == "s":
        section, row, seat = [*where.split(":"), "", ""][:3]
        return f"Section {section}, row {row.removeprefix('r-')}, seat {seat.removeprefix('s-')}"
    return f"General admission: {where}"


def printed_line(pdf: FPDF, height: float, text: str) -> None:
    """One line at the left margin, `height` mm tall, placed exactly where `cell` puts it.
    fpdf2's `text` writes it without `cell`'s measuring and aligning: a quarter of the
    CPU for the same lines, and `cell` was 40 % of a page's CPU besides the QR."""
    if text:
        pdf.text(pdf.l_margin + pdf.c_margin, pdf.get_y() + height / 2 + pdf.font_size * 0.3, text)
    pdf.set_y(pdf.get_y() + height)


def tickets_pdf(card: EventCard, tickets: list[PrintedTicket]) -> bytes:
    """One A5 page per ticket: event, date, place, holder, QR, terms."""
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_auto_page_break(auto=False)
    local = card.starts_at.astimezone(ZoneInfo(card.timezone))
    title = textwrap.wrap(_latin1(card.name), 42)[:3]
    for ticket in tickets:
        pdf.add_page()
        pdf.set_font("helvetica", "B", 16)
        for line in title:
            printed_line(pdf, 8, line)
        pdf.set_font("helvetica", "", 11)
        for line in (
            f"{card.venue_name}, {card.city}",
            f"{local:%d/%m/%Y %H:%M} ({card.timezone})",
            place_words(ticket.place),
            f"Ticket type: {ticket.ticket_type}",
            f"Holder: {ticket.holder_name or '-'}",
        ):
            printed_line(pdf, 6, _latin1(line))
        pdf.image(qr_image(ticket.code), x=(pdf.w - 70) / 2, y=pdf.get_y() + 4, w=70, h=70)
        pdf.set_y(pdf.get_y() + 78)
        pdf.set_font("helvetica", "", 7)
        for line in [ticket.ticket_id, "", *_TERMS_LINES]:
            printed_line(pdf, 3.5, line)
    return bytes(pdf.output())


def event_ics(card: EventCard, uid: str, now: datetime | None = None) -> bytes:
    """A one-event calendar (RFC 5545) for the order `uid`."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//TicketSafe//Tickets//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:{uid}@ticketsafe", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART:{card.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTEND:{card.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{_ics_text(card.name)}",
        f"LOCATION:{_ics_text(f'{card.venue_name}, {card.city}')}",
        "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with a leading space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    start = 0
    while start < len(raw):
        end = min(start + (75 if not parts else 74), len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # not inside a UTF-8 character
            end -= 1
        parts.append(raw[start:end].decode())
        start = end
    return "\r\n ".join(parts)
