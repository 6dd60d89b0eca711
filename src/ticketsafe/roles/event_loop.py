"""How every long-running role runs: its coroutine on uvloop when it is installed, and
with the garbage collector set for a server's heap (`settle_heap`).

uvloop's C event loop (libuv) costs roughly half as much CPU per request as asyncio's
pure-Python selector loop; on the hold and join hot paths that is the largest single
saving. It is optional so the code still runs where uvloop cannot be installed.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


# Container allocations between young-generation collections (CPython's default: 700).
# A busy API process keeps thousands of live containers in flight (requests, documents,
# models), and every young collection walks all of them: at 700 it collected ~20 times a
# second and spent ~8 % of the process's CPU in the collector in a medium on-sale. Rarer
# young collections walk about as many live objects each, so the total cost falls with
# the threshold; the garbage cycles they free wait a little longer.
YOUNG_COLLECTION_THRESHOLD = 20_000


def settle_heap() -> None:
    """Call once a role is built: what exists now (modules, routes, schemas) lives as long
    as the process, so it leaves the collector's sight (full collections stay short).
    `serve` runs both roles in one process and calls it for each: the second call
    freezes what the worker built since."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
