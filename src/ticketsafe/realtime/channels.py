"""What a live connection may subscribe to, and who may read it.

- `event:<id>`: an event's seat-map and GA availability (public, like the seat map).
- `event:<id>:sales`: live sold / held / available counts (the event's organizers only).
- `queue:<id>`: the caller's own place in that event's waiting room.
- `me`: the caller's own orders (and, as domains announce them, holds and tickets),
  kept in a bounded Redis Stream: reconnecting with Last-Event-ID replays what was missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ticketsafe.infra.errors import BusinessRuleViolation, Forbidden

_EVENT_ID = r"evt_[A-Za-z0-9]{1,64}"
CHANNEL_PATTERN = rf"^(?:me|event:{_EVENT_ID}(?::sales)?|queue:{_EVENT_ID})$"
_PATTERN = re.compile(CHANNEL_PATTERN)
MAX_CHANNELS = 8


class ChannelKind(StrEnum):
    ME = "me"
    SEATS = "event"
    SALES = "sales"
    QUEUE = "queue"


@dataclass(frozen=True)
class Channel:
    name: str
    kind: ChannelKind
    event_id: str | None = None


class UnknownChannel(BusinessRuleViolation):
    code = "unknown_channel"
    title = "No such live channel"


class SubscriptionRefused(Forbidden):
    code = "subscription_refused"
    title = "You may not read this channel"


def parse_channels(names: list[str]) -> list[Channel]:
    if not names:
        raise UnknownChannel("name at least one channel (me, event:<id>, queue:<id> …)")
    if len(names) > MAX_CHANNELS:
        raise UnknownChannel(f"at most {MAX_CHANNELS} channels per connection")
    channels = []
    for name in dict.fromkeys(names):
        if not _PATTERN.match(name):
            raise UnknownChannel(f"unknown channel {name[:80]!r}")
        if name == "me":
            channels.append(Channel(name, ChannelKind.ME))
            continue
        prefix, _, rest = name.partition(":")
        event_id, _, sales = rest.partition(":")
        kind = ChannelKind.SALES if sales else ChannelKind(prefix)
        channels.append(Channel(name, kind, event_id))
    return channels
