"""Order e-mails (pt-BR and English)."""

from __future__ import annotations

from ticketsafe.mail.templates import MailTemplate

RECEIPT = MailTemplate(
    name="order.receipt",
    subject={
        "pt-BR": "Pedido {order_id} confirmado",
        "en": "Order {order_id} confirmed",
    },
    text={
        "pt-BR": (
            "Olá, {name}!\n\nSeu pedido {order_id} está pago: {tickets} ingresso(s), "
            "total {total}.\nSeus ingressos aparecem no aplicativo.\n\nTicketSafe"
        ),
        "en": (
            "Hello {name},\n\nYour order {order_id} is paid: {tickets} ticket(s), "
            "total {total}.\nYour tickets are in the app.\n\nTicketSafe"
        ),
    },
)


def money(cents: int, currency: str) -> str:
    symbol = {"BRL": "R$", "USD": "US$", "EUR": "€"}.get(currency, currency)
    return (
        f"{symbol} {cents // 100},{cents % 100:02d}"
        if currency == "BRL"
        else (f"{symbol} {cents // 100}.{cents % 100:02d}")
    )
