"""A real uvicorn server for an ASGI app, in the test's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from ticketsafe.infra.child_process import free_port


@contextlib.asynccontextmanager
async def uvicorn_on_loopback(app: Any, **config: Any) -> AsyncIterator[int]:
    """Serve `app` on a loopback port (`port` in `config`, else a free one; other
    `uvicorn.Config` options too) until the block ends; yields the port once it accepts."""
    port = int(config.pop("port", 0)) or free_port()
    config = {"lifespan": "off", "log_config": None, "access_log": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await task
