"""Every long-running role runs its coroutine on uvloop when it is installed.

uvloop's C event loop (libuv) costs roughly half as much CPU per request as asyncio's
pure-Python selector loop; on the hold and join hot paths that is the largest single
saving. It is optional so the code still runs where uvloop cannot be installed.
"""

from __future__ import annotations

import asyncio
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
