"""The event lifecycle as an explicit state machine.

    draft ──► published ──► on_sale ──► sold_out
      │           │           │  ▲         │
      │           │           │  └─────────┤ (seats came back)
      │           │           ├──► ended ◄─┤
      └───────────┴───────────┴──► cancelled ◄┘

`ended` and `cancelled` are final. Only `published` and later are visible to the public.
"""

from __future__ import annotations

from enum import StrEnum

from ticketsafe.catalog.errors import InvalidTransition


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ON_SALE = "on_sale"
    SOLD_OUT = "sold_out"
    ENDED = "ended"
    CANCELLED = "cancelled"


TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.PUBLISHED: frozenset({EventStatus.ON_SALE, EventStatus.CANCELLED}),
    EventStatus.ON_SALE: frozenset(
        {EventStatus.SOLD_OUT, EventStatus.ENDED, EventStatus.CANCELLED}
    ),
    EventStatus.SOLD_OUT: frozenset(
        {EventStatus.ON_SALE, EventStatus.ENDED, EventStatus.CANCELLED}
    ),
    EventStatus.ENDED: frozenset(),
    EventStatus.CANCELLED: frozenset(),
}

PUBLIC_STATUSES = frozenset(
    {
        EventStatus.PUBLISHED,
        EventStatus.ON_SALE,
        EventStatus.SOLD_OUT,
        EventStatus.ENDED,
        EventStatus.CANCELLED,
    }
)
# What the public listing shows: events one can still look forward to.
LISTED_STATUSES = (EventStatus.PUBLISHED, EventStatus.ON_SALE, EventStatus.SOLD_OUT)


def check_transition(current: EventStatus, target: EventStatus) -> None:
    """Raise `InvalidTransition` (409) unless `current → target` is an edge above."""
    if target not in TRANSITIONS[current]:
        allowed = sorted(s.value for s in TRANSITIONS[current])
        raise InvalidTransition(
            f"cannot go from {current.value} to {target.value}",
            current=current.value,
            target=target.value,
            allowed=allowed,
        )
