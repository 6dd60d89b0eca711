"""Waiting in tests for something another task or process does, without fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(condition: Callable[[], bool], *, tries: int = 500) -> None:
    """Let other tasks run (1 ms at a time) until `condition()` holds; fail after `tries`."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")
