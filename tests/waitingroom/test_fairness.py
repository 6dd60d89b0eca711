from __future__ import annotations

import secrets

from ticketsafe.waitingroom import fairness


def test_draw_is_deterministic_and_independent_of_input_order() -> None:
    seed = fairness.new_seed()
    entries = [secrets.token_hex(16) for _ in range(50)]
    order = fairness.draw_order(seed, entries)
    assert order == fairness.draw_order(seed, list(reversed(entries)))
    assert sorted(order) == sorted(entries)


def test_verify_accepts_the_honest_draw() -> None:
    seed = fairness.new_seed()
    entries = sorted(secrets.token_hex(16) for _ in range(20))
    order = fairness.draw_order(seed, entries)
    check = fairness.verify_draw(fairness.commitment(seed), seed.hex(), entries, order)
    assert check.ok, check.problems


def test_verify_rejects_a_swapped_order_a_wrong_seed_and_a_missing_entry() -> None:
    seed = fairness.new_seed()
    entries = sorted(secrets.token_hex(16) for _ in range(20))
    order = fairness.draw_order(seed, entries)
    c = fairness.commitment(seed)
    swapped = [order[1], order[0], *order[2:]]
    assert not fairness.verify_draw(c, seed.hex(), entries, swapped).ok
    other = fairness.new_seed()
    assert not fairness.verify_draw(c, other.hex(), entries, fairness.draw_order(other, entries)).ok
    assert not fairness.verify_draw(c, seed.hex(), entries, order[:-1]).ok
    assert not fairness.verify_draw(c, None, entries, order).ok


def test_pseudonyms_are_stable_per_event_and_unlinkable_across_events() -> None:
    key = b"k" * 32
    assert fairness.pseudonym(key, "e1", "usr_1") == fairness.pseudonym(key, "e1", "usr_1")
    assert fairness.pseudonym(key, "e1", "usr_1") != fairness.pseudonym(key, "e2", "usr_1")
    assert "usr_1" not in fairness.pseudonym(key, "e1", "usr_1")
