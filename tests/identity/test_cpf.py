from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketsafe.identity.cpf import InvalidCpf, format_cpf, is_valid_cpf, validate_cpf


def test_punctuated_cpf_is_normalised_to_digits() -> None:
    assert validate_cpf("529.982.247-25") == "52998224725"


def test_bare_digits_accepted() -> None:
    assert validate_cpf("52998224725") == "52998224725"


def test_wrong_first_check_digit_rejected() -> None:
    with pytest.raises(InvalidCpf):
        validate_cpf("529.982.247-15")


def test_wrong_second_check_digit_rejected() -> None:
    assert not is_valid_cpf("529.982.247-24")


@pytest.mark.parametrize("same", [str(d) * 11 for d in range(10)])
def test_all_same_digits_rejected(same: str) -> None:
    assert not is_valid_cpf(same)


@pytest.mark.parametrize("shape", ["5299822472", "529.982.247-255", "529-982-247.25", "abc"])
def test_malformed_rejected(shape: str) -> None:
    assert not is_valid_cpf(shape)


def test_remainder_ten_gives_check_digit_zero() -> None:
    # 100000001: the first remainder is 10, so the first check digit is 0
    assert validate_cpf("10000000108") == "10000000108"
    assert not is_valid_cpf("100.000.001-18")


def test_format_adds_punctuation() -> None:
    assert format_cpf("52998224725") == "529.982.247-25"


def _with_check_digits(base: str) -> str:
    first = sum(int(d) * (10 - i) for i, d in enumerate(base)) * 10 % 11 % 10
    second = sum(int(d) * (11 - i) for i, d in enumerate(base + str(first))) * 10 % 11 % 10
    return f"{base}{first}{second}"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_number_with_its_check_digits_is_valid(base: str) -> None:
    cpf = _with_check_digits(base)
    assert is_valid_cpf(cpf) == (cpf != cpf[0] * 11)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(1, 9))
def test_any_wrong_last_digit_is_invalid(base: str, shift: int) -> None:
    cpf = _with_check_digits(base)
    wrong = cpf[:10] + str((int(cpf[10]) + shift) % 10)
    assert not is_valid_cpf(wrong)
