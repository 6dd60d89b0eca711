"""JSON logs on stderr, one object per line, with the request id when there is one."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from ticketsafe.infra.request_context import current_log_ids, current_request_id

# Attributes of every record, and uvicorn's `color_message` (its message again, with
# terminal colour codes): neither is a field of ours.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "color_message"}
)
# Terminal control sequences (colours) that a library may put in a message anyway.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class JsonFormatter(logging.Formatter):
    def __init__(self, instance: str) -> None:
        super().__init__()
        self.instance = instance

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": _ANSI.sub("", record.getMessage()),
            "instance": self.instance,
        }
        rid = current_request_id()
        if rid:
            entry["request_id"] = rid
            entry.update(current_log_ids())
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str, *, json: bool, instance: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(JsonFormatter(instance))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every outbound request's full URL at INFO: organizers' webhook URLs may
    # carry their credentials in the query string.
    for noisy in ("pymongo", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
