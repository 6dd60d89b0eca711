"""Card numbers for the sandbox: Luhn check, brand, and the documented test behaviours.

| number                | brand      | behaviour                              |
| --------------------- | ---------- | -------------------------------------- |
| 4242 4242 4242 4242   | visa       | approved                               |
| 5555 5555 5555 4444   | mastercard | approved                               |
| 4000 0000 0000 3220   | visa       | needs 3-D Secure confirmation (async)  |
| 4000 0000 0000 0002   | visa       | declined: card_declined                |
| 4000 0000 0000 9995   | visa       | declined: insufficient_funds           |

Any other Luhn-valid number is approved. The number itself is never stored or logged:
tokenisation keeps only the brand, the last four digits and the behaviour.
"""

from __future__ import annotations

from enum import StrEnum


class CardBehaviour(StrEnum):
    APPROVE = "approve"
    REQUIRE_3DS = "require_3ds"
    DECLINE = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"


_SPECIAL = {
    "4000000000003220": CardBehaviour.REQUIRE_3DS,
    "4000000000000002": CardBehaviour.DECLINE,
    "4000000000009995": CardBehaviour.INSUFFICIENT_FUNDS,
}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_ELO_PREFIXES = ("4011", "4312", "4389", "5041", "5066", "5067", "6277", "6362", "6363")


def brand_of(number: str) -> str:
    if number.startswith(_ELO_PREFIXES):  # before Visa/Mastercard: Elo shares their ranges
        return "elo"
    if number.startswith("4"):
        return "visa"
    prefix2, prefix4 = int(number[:2]), int(number[:4])
    if 51 <= prefix2 <= 55 or 2221 <= prefix4 <= 2720:
        return "mastercard"
    if prefix2 in (34, 37):
        return "amex"
    return "unknown"


def behaviour_of(number: str) -> CardBehaviour:
    return _SPECIAL.get(number, CardBehaviour.APPROVE)
