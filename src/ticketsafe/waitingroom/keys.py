"""Redis keys of the waiting room. Every key of one event starts with the event's
prefix (`infra.hash_tags`, the tag the inventory and the catalog use too), so each
multi-key script stays legal on Redis Cluster."""

from __future__ import annotations

from dataclasses import dataclass

from ticketsafe.infra.hash_tags import event_prefix

EVENTS_INDEX = "ts:wr:events"  # event ids with a live queue, for the admission tick


@dataclass(frozen=True)
class QueueKeys:
    event_id: str

    def _k(self, name: str) -> str:
        return f"{event_prefix(self.event_id)}:wr:{name}"

    @property
    def cfg(self) -> str:
        return self._k("cfg")  # hash: config, state, seed (secret until drawn)

    @property
    def pre(self) -> str:
        return self._k("pre")  # hash user → pseudonym: the pre-queue, unordered

    @property
    def queue(self) -> str:
        return self._k("q")  # zset user → place (1..N drawn, 1e12+seq afterwards)

    @property
    def seen(self) -> str:
        return self._k("seen")  # zset user → place kept until ms (next check-in + grace)

    @property
    def admitted(self) -> str:
        return self._k("adm")  # zset user → admitted ms

    @property
    def active(self) -> str:
        return self._k("active")  # zset user → active until ms

    @property
    def seq(self) -> str:
        return self._k("seq")

    @property
    def stats(self) -> str:
        return self._k("stats")

    @property
    def done(self) -> str:
        return self._k("done")  # zset completion → ms (last minute)

    @property
    def latency(self) -> str:
        return self._k("lat")  # list "recorded ms:checkout ms", newest first (aimd.py)

    @property
    def draw(self) -> str:
        return self._k("draw")  # the drawn order, one pseudonym per line

    @property
    def channel(self) -> str:
        return self._k("updates")  # pub/sub: admissions and draw, for live status

    def pow_nonce(self, nonce: str) -> str:
        return self._k(f"pow:{nonce}")
