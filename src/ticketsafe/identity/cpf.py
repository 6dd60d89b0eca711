"""CPF (Cadastro de Pessoas Físicas): validation by its two check digits.

`validate_cpf("123.456.789-09")` returns the 11 digits or raises `InvalidCpf`; use
`is_valid_cpf` for a boolean and `format_cpf` to display. Accepts punctuation or none;
rejects the all-same-digit numbers, which pass the check digits but are never issued."""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$")


class InvalidCpf(ValueError):
    """Not a valid CPF (shape or check digits)."""


def _check_digit(digits: str) -> int:
    weight = len(digits) + 1
    total = sum(int(d) * (weight - i) for i, d in enumerate(digits))
    rest = (total * 10) % 11
    return 0 if rest == 10 else rest


def validate_cpf(value: str) -> str:
    text = value.strip()
    if not _SHAPE.match(text):
        raise InvalidCpf("a CPF has 11 digits (123.456.789-09 or 12345678909)")
    digits = re.sub(r"\D", "", text)
    if digits == digits[0] * 11:
        raise InvalidCpf("invalid CPF")
    if _check_digit(digits[:9]) != int(digits[9]) or _check_digit(digits[:10]) != int(digits[10]):
        raise InvalidCpf("invalid CPF check digits")
    return digits


def is_valid_cpf(value: str) -> bool:
    try:
        validate_cpf(value)
    except InvalidCpf:
        return False
    return True


def format_cpf(digits: str) -> str:
    d = validate_cpf(digits)
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"
