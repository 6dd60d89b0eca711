"""Typed models of the waiting room: configuration, status, draw, organizer view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ticketsafe.infra.fields import JsonInteger


class AdmissionMode(StrEnum):
    FIXED = "fixed"  # the organizer's people per minute
    AUTO = "auto"  # keep `target_active` shoppers; the rate follows measured completions
    # At the pace the shop sustains: a rate between the organizer's bounds, cut when
    # checkout latency passes its target and raised while it is met and fewer than
    # `target_active` shop (`waitingroom.aimd`).
    ADAPTIVE = "adaptive"


class QueueState(StrEnum):
    """pre (pre-queue open or waiting) → drawn (shuffled, admitting) → closed."""

    PRE = "pre"
    DRAWN = "drawn"
    CLOSED = "closed"


@dataclass(frozen=True)
class Stock:
    """What the inventory says is left of an event: units available now, live holds."""

    available: int
    holds: int


class Supply(StrEnum):
    """What is left to buy, as the admission tick last saw the event's inventory."""

    AVAILABLE = "available"
    # Every unit is held or sold: admission pauses; held units come back if their holds
    # expire or are released, and the line moves again.
    ALL_HELD = "all_held"
    # Every unit is sold: admission pauses; a refund or an unpaid order's release would
    # reopen it, but nothing else will.
    SOLD_OUT = "sold_out"

    @classmethod
    def of_stock(cls, stock: Stock) -> Supply:
        if stock.available > 0:
            return cls.AVAILABLE
        return cls.ALL_HELD if stock.holds > 0 else cls.SOLD_OUT

    @classmethod
    def of(cls, stored: str | None) -> Supply:
        """From the queue's `supply` field (absent or empty: available)."""
        return cls(stored) if stored else cls.AVAILABLE

    @property
    def stored(self) -> str:
        return "" if self is Supply.AVAILABLE else self.value


class QueueConfig(BaseModel):
    """Per-event queue settings; `configure_queue` is idempotent on `event_id`."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    org_id: str = Field(min_length=1, max_length=64)
    on_sale_at: AwareDatetime
    pre_queue_window: timedelta = Field(default=timedelta(minutes=30))
    mode: AdmissionMode = AdmissionMode.FIXED
    rate_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    target_active: int = Field(default=500, ge=1, le=1_000_000)
    min_rate_per_minute: int = Field(
        default=60, ge=1, le=1_000_000, description="Adaptive mode: never admit slower."
    )
    max_rate_per_minute: int = Field(
        default=60_000, ge=1, le=1_000_000, description="Adaptive mode: never admit faster."
    )
    checkout_latency_target_ms: int = Field(
        default=500,
        ge=50,
        le=60_000,
        description="Adaptive mode: the checkout latency (p90 over the last seconds) the "
        "admission rate keeps under.",
    )
    token_ttl: timedelta = Field(default=timedelta(minutes=5))
    shopping_window: timedelta = Field(
        default=timedelta(minutes=15), description="How long an admitted buyer counts as active."
    )
    grace_period: timedelta = Field(default=timedelta(minutes=2))
    pow_difficulty: int = Field(default=18, ge=0, le=28)

    @model_validator(mode="after")
    def _durations(self) -> QueueConfig:
        if not timedelta(0) <= self.pre_queue_window <= timedelta(days=1):
            raise ValueError("pre_queue_window must be between 0 and 1 day")
        if not timedelta(seconds=30) <= self.token_ttl <= timedelta(minutes=30):
            raise ValueError("token_ttl must be between 30 s and 30 min")
        if not timedelta(seconds=1) <= self.grace_period <= timedelta(hours=1):
            raise ValueError("grace_period must be between 1 s and 1 h")
        if self.shopping_window < self.token_ttl:
            raise ValueError("shopping_window must be at least token_ttl")
        if self.min_rate_per_minute > self.max_rate_per_minute:
            raise ValueError("min_rate_per_minute must not exceed max_rate_per_minute")
        return self

    @property
    def pre_queue_opens_at(self) -> datetime:
        return self.on_sale_at - self.pre_queue_window


_PerMinute = Annotated[int, Field(ge=1, le=1_000_000), JsonInteger]


class AdmissionUpdate(BaseModel):
    mode: AdmissionMode | None = None
    rate_per_minute: _PerMinute | None = None
    target_active: _PerMinute | None = None
    min_rate_per_minute: _PerMinute | None = None
    max_rate_per_minute: _PerMinute | None = None
    checkout_latency_target_ms: Annotated[int, Field(ge=50, le=60_000), JsonInteger] | None = None


class ChallengeOut(BaseModel):
    challenge: str
    difficulty: int = Field(description="Leading zero bits of SHA-256(challenge ':' solution).")
    expires_in_s: int


class JoinIn(BaseModel):
    challenge: str = Field(max_length=512)
    solution: str = Field(max_length=64)


class PlaceState(StrEnum):
    PRE_QUEUE = "pre_queue"  # joined before on-sale; position drawn at on-sale
    QUEUED = "queued"
    ADMITTED = "admitted"
    # Admitted, but the admission token expired unused: join again for a new place at
    # the back of the line (a hold made in time is not affected).
    ADMISSION_EXPIRED = "admission_expired"
    NOT_IN_QUEUE = "not_in_queue"  # never joined, or lost the place after the grace period


class QueueStatus(BaseModel):
    event_id: str
    state: PlaceState
    position: int | None = Field(default=None, description="1 = next to be admitted.")
    people_ahead: int | None = None
    estimated_wait_s: int | None = None
    rate_per_minute: float = 0.0
    on_sale_at: datetime
    pseudonym: str | None = Field(default=None, description="Your entry in the public draw.")
    admission_token: str | None = Field(
        default=None, description="Send as X-Admission-Token to hold tickets."
    )
    admitted_at: datetime | None = Field(
        default=None, description="When the waiting room let you in (you may learn it later)."
    )
    admission_expires_at: datetime | None = None
    supply: Supply = Field(
        default=Supply.AVAILABLE,
        description="all_held / sold_out: nothing left to buy now, admission is paused.",
    )
    poll_after_s: float = 2.0
    next_step: str | None = Field(
        default=None, description="What to do now, when the state asks for an action."
    )


class DrawOut(BaseModel):
    """The public record of the pre-queue draw (verify with `ticketsafe verify-queue`)."""

    event_id: str
    commitment: str = Field(description="SHA-256 of the seed, hex; published before on-sale.")
    seed: str | None = Field(default=None, description="Revealed after the draw, hex.")
    drawn_at: datetime | None = None
    entries: list[str] = Field(default_factory=list, description="Pseudonyms, sorted.")
    order: list[str] = Field(default_factory=list, description="Pseudonyms in drawn order.")
    algorithm: str = "order = entries sorted by SHA-256(seed_bytes || pseudonym_utf8)"


class QueueStats(BaseModel):
    event_id: str
    state: QueueState
    mode: AdmissionMode
    queue_length: int
    pre_queue_length: int
    admitted: int
    active_shoppers: int
    abandoned: int
    joined: int
    rate_per_minute: float
    target_active: int
    completions_last_minute: int
    estimated_time_to_clear_s: int | None
    supply: Supply = Supply.AVAILABLE
    min_rate_per_minute: int = 60
    max_rate_per_minute: int = 60_000
    checkout_latency_target_ms: int = 500
    checkout_latency_ms: float | None = Field(
        default=None, description="p90 of the checkouts of the last seconds (adaptive mode)."
    )
