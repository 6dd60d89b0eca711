"""Redis Cluster hash tags: which keys must live in one slot.

A Redis Cluster hashes only the part of a key between the first `{` and the next `}`, so
keys that share that tag share a slot, and only keys of one slot may meet in one Lua
script, MULTI/EXEC or multi-key command. Every domain builds its own keys (in its keys
module), and every key of one event, whichever domain owns it, starts with
`event_prefix(event_id)`: the inventory engine's script, the waiting room's scripts and
the public cache of one event then all run on the node that owns the event
(`tests/infra/test_hash_tags.py` checks it on a real cluster). One event's traffic thus
stays on one node; many events spread over the cluster.

Other tags in use: a user's (`ts:{<user>}:…`, the membership cache), the job queue's
(`ts:{jobs}:…`) and the revocation shards (`ts:{auth:<n>}:…`). A key that is never used
with another (rate limits, idempotency records, leases) needs no tag.
"""

from __future__ import annotations

EVENT_ID_PREFIX = "evt_"


def event_tag(event_id: str) -> str:
    """`{evt_<id>}` for an event id, with or without its `evt_` prefix."""
    tag = event_id if event_id.startswith(EVENT_ID_PREFIX) else EVENT_ID_PREFIX + event_id
    return "{" + tag + "}"


def event_prefix(event_id: str) -> str:
    """What every Redis key of the event starts with: `ts:{evt_<id>}`."""
    return f"ts:{event_tag(event_id)}"
