"""A WebSocket served by `LeanWebSocketsProtocol` works as uvicorn's, and does not keep
its opening handshake once accepted."""

from __future__ import annotations

import gc

import websockets
from starlette.types import Receive, Scope, Send

from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.infra.ws_protocol import LeanWebSocketsProtocol


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "websocket"
    await receive()  # websocket.connect
    await send({"type": "websocket.accept", "headers": [(b"x-echo", b"1")]})
    while (message := await receive())["type"] == "websocket.receive":
        await send({"type": "websocket.send", "text": message["text"]})


async def test_an_accepted_websocket_keeps_no_handshake() -> None:
    async with (
        uvicorn_on_loopback(_echo, ws=LeanWebSocketsProtocol) as port,
        websockets.connect(f"ws://127.0.0.1:{port}/") as ws,
    ):
        assert ws.response is not None
        assert ws.response.headers["x-echo"] == "1"  # the accept's headers were sent
        await ws.send("ping")
        assert await ws.recv() == "ping"
        served = [o for o in gc.get_objects() if isinstance(o, LeanWebSocketsProtocol)]
        assert len(served) == 1
        kept: tuple[object, object] = (served[0].request, served[0].response)
        assert kept == (None, None)
        await ws.send("pong")  # and it keeps working
        assert await ws.recv() == "pong"
