"""The benchmark's own arithmetic: if these were wrong, every report would be."""

from __future__ import annotations

import hashlib

from ticketsafe.bench.flow import _txid_of, solve
from ticketsafe.bench.main import kendall_tau
from ticketsafe.bench.measure import percentile
from ticketsafe.payments.brcode import PixCharge


def test_kendall_tau_extremes_and_ties() -> None:
    same = [(float(i), float(i)) for i in range(50)]
    reversed_ = [(float(i), float(-i)) for i in range(50)]
    assert kendall_tau(same) == 1.0
    assert kendall_tau(reversed_) == -1.0
    one_swap = [(0.0, 0.0), (1.0, 2.0), (2.0, 1.0), (3.0, 3.0)]
    assert kendall_tau(one_swap) == round((5 - 1) / 6, 4)
    assert kendall_tau([(1.0, 1.0)]) is None


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 51.0  # index round(0.5 x 99) = 50
    assert percentile(values, 99) == 99.0
    assert percentile([], 99) == 0.0


def test_proof_of_work_solution_has_the_zero_bits() -> None:
    nonce = solve("chal-xyz", 10)
    digest = hashlib.sha256(f"chal-xyz:{nonce}".encode()).digest()
    assert int.from_bytes(digest, "big") >> (256 - 10) == 0


def test_txid_read_back_from_a_br_code() -> None:
    payload = PixCharge("k@x.br", "Loja", "Recife", 1_000, "PAY123abc").payload()
    assert _txid_of(payload) == "PAY123abc"
