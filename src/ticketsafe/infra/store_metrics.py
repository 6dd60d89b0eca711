"""MongoDB and Redis call latency, measured where it costs least.

MongoDB: a PyMongo `CommandListener` (the driver's own hook) observes every command's
round trip by command name; a name outside `_COMMANDS` counts as `other`, so a new
driver command cannot grow the label set.

Redis: the client auto-pipelines (`infra.redisdb`), so the cheap hook is one observation
per round trip (a lone command or a whole pipeline), not one per command: what a caller
waits for is that round trip.
"""

from __future__ import annotations

from prometheus_client import Histogram
from pymongo import monitoring

_STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

MONGO_COMMAND_SECONDS = Histogram(
    "ticketsafe_mongodb_command_duration_seconds",
    "MongoDB command round trip, by command",
    ["command", "outcome"],
    buckets=_STORE_BUCKETS,
)
REDIS_ROUNDTRIP_SECONDS = Histogram(
    "ticketsafe_redis_roundtrip_duration_seconds",
    "Redis round trip: one command alone, or one auto-pipelined batch",
    ["kind"],
    buckets=_STORE_BUCKETS,
)

_COMMANDS = frozenset(
    {
        "find", "insert", "update", "delete", "aggregate", "getMore", "findAndModify",
        "count", "distinct", "createIndexes", "listIndexes", "listCollections",
        "commitTransaction", "abortTransaction", "ping", "hello", "endSessions",
    }
)  # fmt: skip


def _command(name: str) -> str:
    return name if name in _COMMANDS else "other"


class MongoCommandTimer(monitoring.CommandListener):
    """Registered on the client (`create_mongo_client(..., timed=True)`), not globally,
    so a process that turns metrics off pays nothing."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        seconds = event.duration_micros / 1e6
        MONGO_COMMAND_SECONDS.labels(_command(event.command_name), "ok").observe(seconds)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        seconds = event.duration_micros / 1e6
        MONGO_COMMAND_SECONDS.labels(_command(event.command_name), "error").observe(seconds)
