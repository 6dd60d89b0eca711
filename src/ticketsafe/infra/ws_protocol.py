"""uvicorn's sans-I/O WebSocket protocol, without the handshake kept for the connection's
lifetime.

uvicorn's `WebSocketsSansIOProtocol` keeps the opening handshake's request and response
(`websockets` objects with their headers) on the protocol until the connection closes,
though neither is read again once the response has been sent. A live WebSocket lives up
to 30 minutes and an API process holds thousands: ~3.5 KB a connection kept for nothing
(35 MB at 10,000). `LeanWebSocketsProtocol` lets go of both once the handshake is done.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class LeanWebSocketsProtocol(WebSocketsSansIOProtocol):
    def start_keepalive(self) -> None:
        # Called once, right after the response accepting the connection was written.
        self.request = self.response = None  # type: ignore[assignment]
        super().start_keepalive()
