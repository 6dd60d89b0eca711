"""PIX BR Code: the EMV® QRCPS merchant-presented payload ("copia e cola").

Layout (Banco Central do Brasil, "Manual de Padrões para Iniciação do Pix"): a sequence
of ID(2) + LENGTH(2) + VALUE fields; Merchant Account Information (ID 26) nests the GUI
`br.gov.bcb.pix` and the PIX key; the transaction id goes in Additional Data (ID 62,
sub-ID 05); the payload ends with ID 63 carrying a CRC16/CCITT-FALSE of everything
before it, `6304` included.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import segno

_GUI = "br.gov.bcb.pix"
_BRL = "986"
_TXID = re.compile(r"^[A-Za-z0-9]{1,25}$")


class BrCodeError(ValueError):
    """A field does not fit the BR Code format."""


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _field(field_id: str, value: str) -> str:
    if len(value) > 99:
        raise BrCodeError(f"field {field_id} longer than 99 characters")
    return f"{field_id}{len(value):02d}{value}"


def _ascii(text: str, max_len: int) -> str:
    """Merchant name/city: plain ASCII, upper-case free, trimmed to the field's limit."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = re.sub(r"\s+", " ", plain).strip()
    if not plain:
        raise BrCodeError("merchant name and city must not be empty")
    return plain[:max_len]


@dataclass(frozen=True)
class PixCharge:
    pix_key: str
    merchant_name: str
    merchant_city: str
    amount_cents: int | None  # None: payer types the amount
    txid: str = "***"  # "***" = no transaction id (static code)
    description: str | None = None

    def payload(self) -> str:
        if self.txid != "***" and not _TXID.match(self.txid):
            raise BrCodeError("txid must be 1-25 letters or digits")
        if self.amount_cents is not None and self.amount_cents <= 0:
            raise BrCodeError("amount must be positive")
        account = _field("00", _GUI) + _field("01", self.pix_key)
        if self.description:
            account += _field("02", self.description[:40])
        parts = [
            _field("00", "01"),
            _field("26", account),
            _field("52", "0000"),
            _field("53", _BRL),
        ]
        if self.amount_cents is not None:
            parts.append(_field("54", f"{self.amount_cents // 100}.{self.amount_cents % 100:02d}"))
        parts += [
            _field("58", "BR"),
            _field("59", _ascii(self.merchant_name, 25)),
            _field("60", _ascii(self.merchant_city, 15)),
            _field("62", _field("05", self.txid)),
        ]
        body = "".join(parts) + "6304"
        return body + f"{crc16_ccitt(body.encode()):04X}"


def parse(payload: str) -> dict[str, str]:
    """Split a payload into its top-level fields, checking the CRC (for tests and tools)."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise BrCodeError("missing CRC field")
    if f"{crc16_ccitt(payload[:-4].encode()):04X}" != payload[-4:].upper():
        raise BrCodeError("CRC mismatch")
    fields: dict[str, str] = {}
    i = 0
    while i < len(payload):
        field_id, length = payload[i : i + 2], int(payload[i + 2 : i + 4])
        fields[field_id] = payload[i + 4 : i + 4 + length]
        i += 4 + length
    return fields


def qr_svg(payload: str) -> str:
    """The BR Code as a QR image (SVG, error correction M, as banks' apps expect)."""
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode()
