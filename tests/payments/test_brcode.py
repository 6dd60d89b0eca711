from __future__ import annotations

import pytest

from ticketsafe.payments.brcode import BrCodeError, PixCharge, crc16_ccitt, parse

# The static example from Banco Central's BR Code manual (key, name, city, no amount).
BCB_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def test_crc16_ccitt_false_check_value() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1  # the catalogued check value


def test_reproduces_the_central_bank_example() -> None:
    charge = PixCharge(
        pix_key="123e4567-e12b-12d1-a456-426655440000",
        merchant_name="Fulano de Tal",
        merchant_city="BRASILIA",
        amount_cents=None,
    )
    assert charge.payload() == BCB_EXAMPLE


def test_dynamic_charge_fields() -> None:
    payload = PixCharge(
        pix_key="pix@ticketsafe.example",
        merchant_name="Ingressos São João Ltda",
        merchant_city="São Paulo",
        amount_cents=12_345,
        txid="ORD7F3K2M9",
    ).payload()
    fields = parse(payload)
    assert fields["54"] == "123.45"
    assert fields["53"] == "986"
    assert fields["59"] == "Ingressos Sao Joao Ltda"
    assert fields["60"] == "Sao Paulo"
    assert fields["62"] == "0510ORD7F3K2M9"
    assert fields["26"].startswith("0014br.gov.bcb.pix01")


def test_tampered_payload_fails_crc() -> None:
    payload = PixCharge("k@x.br", "Loja", "Recife", 1000, "T1").payload()
    with pytest.raises(BrCodeError, match="CRC"):
        parse(payload.replace("10.00", "90.00"))


@pytest.mark.parametrize("txid", ["has space", "x" * 26, "ação"])
def test_invalid_txid_refused(txid: str) -> None:
    with pytest.raises(BrCodeError):
        PixCharge("k@x.br", "Loja", "Recife", 1000, txid).payload()
