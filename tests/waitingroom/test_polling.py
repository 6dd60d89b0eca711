"""How often a queued browser is told to ask again."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketsafe.waitingroom.schemas import QueueConfig
from ticketsafe.waitingroom.service import poll_after, poll_before_on_sale


def test_the_very_front_polls_every_two_seconds() -> None:
    assert poll_after(0, 1) == 2.0
    assert poll_after(99, 600) == 2.0  # an auto-admitting room may let them in any second


def test_near_the_front_polls_at_half_the_wait_too() -> None:
    assert poll_after(999, 25) == 12.5  # a dozen 2-s polls before would tell nothing new
    assert poll_after(999, 600) == 45.0


def test_far_back_polls_at_half_the_wait_within_the_heartbeat_bound() -> None:
    assert poll_after(5_000, 20) == 10.0
    assert poll_after(5_000, 1) == 2.0  # never faster than the front of the queue
    assert poll_after(200_000, 6_000) == 45.0
    assert poll_after(5_000, None) == 2.0  # no rate known yet: ask soon


def test_the_longest_poll_keeps_the_place_through_the_default_grace_period() -> None:
    grace = QueueConfig.model_fields["grace_period"].default.total_seconds()
    assert poll_after(10**6, 10**6) * 2 < grace  # two polls may be lost in a row


def test_the_pre_queue_asks_again_at_half_the_time_to_on_sale() -> None:
    on_sale = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    at = on_sale.timestamp()
    assert poll_before_on_sale(on_sale, now=at - 60) == 30.0
    assert poll_before_on_sale(on_sale, now=at - 3_600) == 45.0
    assert poll_before_on_sale(on_sale, now=at - 1) == 2.0
    assert poll_before_on_sale(on_sale, now=at + 10) == 2.0  # drawn by now: come and see
    assert poll_before_on_sale(None) == 2.0
