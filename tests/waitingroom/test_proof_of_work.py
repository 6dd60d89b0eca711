from __future__ import annotations

import time

import pytest

from ticketsafe.waitingroom.errors import ChallengeInvalid
from ticketsafe.waitingroom.pow_client import solve
from ticketsafe.waitingroom.proof_of_work import ProofOfWork, leading_zero_bits, solves


def test_solution_meets_difficulty_and_verifies() -> None:
    pow_ = ProofOfWork(b"k" * 32)
    challenge = pow_.issue("e1", "usr_1", 10)
    solution = solve(challenge, 10)
    parsed = pow_.verify(challenge, solution, "e1", "usr_1")
    assert parsed.bits == 10


def test_wrong_solution_other_account_forged_and_expired_are_refused() -> None:
    pow_ = ProofOfWork(b"k" * 32)
    challenge = pow_.issue("e1", "usr_1", 12)
    solution = solve(challenge, 12)
    bad = next(str(i) for i in range(10_000) if str(i) != solution and not _ok(challenge, i, 12))
    with pytest.raises(ChallengeInvalid):
        pow_.verify(challenge, bad, "e1", "usr_1")
    with pytest.raises(ChallengeInvalid):
        pow_.verify(challenge, solution, "e1", "usr_2")  # bound to the account
    with pytest.raises(ChallengeInvalid):
        ProofOfWork(b"x" * 32).verify(challenge, solution, "e1", "usr_1")  # other key
    old = pow_.issue("e1", "usr_1", 0, now=time.time() - 3600)
    with pytest.raises(ChallengeInvalid) as info:
        pow_.verify(old, "0", "e1", "usr_1")
    assert info.value.instance_code == "challenge_expired"


def _ok(challenge: str, i: int, bits: int) -> bool:
    import hashlib  # noqa: PLC0415

    return leading_zero_bits(hashlib.sha256(f"{challenge}:{i}".encode()).digest()) >= bits


def test_leading_zero_bits() -> None:
    assert leading_zero_bits(b"\x00\x00\xff") == 16
    assert leading_zero_bits(b"\x00\x1f") == 11
    assert leading_zero_bits(b"\x80") == 0


@pytest.mark.parametrize("bits", [0, 1, 7, 8, 9, 12])
def test_the_solver_finds_the_smallest_nonce_that_solves(bits: int) -> None:
    for challenge in ("c1.sig", "another:challenge", "ç-unicode"):
        nonce = int(solve(challenge, bits))
        assert solves(challenge, str(nonce), bits)
        assert not any(solves(challenge, str(n), bits) for n in range(nonce))
