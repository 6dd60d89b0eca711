"""How orders show money to buyers (their receipt is the tickets' e-mail)."""

from __future__ import annotations


def money(cents: int, currency: str) -> str:
    symbol = {"BRL": "R$", "USD": "US$", "EUR": "€"}.get(currency, currency)
    return (
        f"{symbol} {cents // 100},{cents % 100:02d}"
        if currency == "BRL"
        else (f"{symbol} {cents // 100}.{cents % 100:02d}")
    )
