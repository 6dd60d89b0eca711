"""Live updates over Server-Sent Events and WebSocket (same messages on both)."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from ticketsafe.identity.deps import AccessDep, CurrentUser, OptionalUser, _verify
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.deps import RedisDep
from ticketsafe.infra.errors import TicketSafeError, Unauthenticated
from ticketsafe.infra.openapi import problems
from ticketsafe.realtime.channels import CHANNEL_PATTERN, Channel, parse_channels
from ticketsafe.realtime.connection import Ended
from ticketsafe.realtime.lane import hand_over
from ticketsafe.realtime.messages import LiveMessage
from ticketsafe.realtime.session import LiveContext, Session, authorize, open_session
from ticketsafe.realtime.tickets import TICKET_TTL_S, issue_ticket, redeem_ticket

router = APIRouter(prefix="/live", tags=["live"])

Channels = Annotated[
    list[Annotated[str, Field(pattern=CHANNEL_PATTERN, max_length=80)]],
    Query(
        alias="channel", min_length=1, max_length=8,
        description="me, event:<id>, event:<id>:sales, queue:<id> (repeat the parameter).",
    ),
]  # fmt: skip
Ticket = Annotated[
    str | None, Query(max_length=64, description="A stream ticket from POST /live/tickets.")
]


class StreamTicket(BaseModel):
    ticket: str
    expires_in_s: int


def _context(request: Request | WebSocket) -> LiveContext:
    live: LiveContext = request.app.state.services.live
    return live


@router.post("/tickets", status_code=201, operation_id="live_ticket")
async def ticket(user: CurrentUser, redis: RedisDep) -> StreamTicket:
    """A single-use ticket (30 s) to open a stream where headers cannot be set."""
    return StreamTicket(ticket=await issue_ticket(redis, user), expires_in_s=TICKET_TTL_S)


async def _principal(
    redis: RedisDep, access: AccessDep, user: Principal | None, ticket: str | None
) -> Principal:
    if user is not None:
        return user
    if ticket is None:
        raise Unauthenticated("send a bearer token or a stream ticket")
    return await access.authenticate(await redeem_ticket(redis, ticket))


@router.get(
    "/stream",
    operation_id="live_stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **problems(403, 404)},
)
async def stream(
    request: Request,
    *,
    channels: Channels,
    user: OptionalUser,
    redis: RedisDep,
    access: AccessDep,
    ticket: Ticket = None,
    last_event_id: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Server-Sent Events: heartbeats every 15 s, a `reconnect` message when the
    connection's lifetime (30 min) is over. Resume the `me` channel with Last-Event-ID."""
    principal = await _principal(redis, access, user, ticket)
    wanted = parse_channels(channels)
    ctx = _context(request)
    await authorize(ctx, principal, wanted)  # refused before the stream starts: a 403
    return EventStream(ctx, principal, wanted, _resume_point(last_event_id))


class EventStream(Response):
    """The SSE response: the head, `retry:`, then the connection's messages as they are
    offered, written straight to the ASGI `send` (no body iterator, no task group)."""

    media_type = "text/event-stream"
    HEAD = ((b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"), (b"x-accel-buffering", b"no"))  # fmt: skip

    def __init__(
        self, ctx: LiveContext, principal: Principal, channels: list[Channel], resume: str | None
    ) -> None:
        self.status_code, self.background, self.raw_headers = 200, None, list(self.HEAD)
        self.ctx, self.principal, self.channels, self.resume = ctx, principal, channels, resume

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = await open_session(
            self.ctx, self.principal, self.channels, transport="sse", resume_from=self.resume
        )  # every channel is set up before the head: else this is a problem answer
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send(
                {"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True}
            )
        except BaseException:
            await session.close()
            raise
        stream = _SseConnection(session)
        if not hand_over(scope, stream):
            await stream.run(send, receive)


class _SseConnection:
    """An event stream after its head: one body chunk per message (see `lane`)."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session

    async def run(self, send: Send, receive: Receive) -> None:
        async def write(message: LiveMessage) -> None:
            await send({"type": "http.response.body", "body": message.sse_bytes, "more_body": True})

        ended = await self.session.run(write, receive)
        if ended is not Ended.CUT:  # a cut client's writes are stuck: uvicorn drops it
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def abandon(self) -> None:
        await self.session.close()


def _resume_point(last_event_id: str | None) -> str | None:
    """`me/<stream id>` → the stream id; ids of other channels do not resume anything."""
    if last_event_id and last_event_id.startswith("me/"):
        entry = last_event_id[3:]
        ms, _, seq = entry.partition("-")
        if ms.isdigit() and seq.isdigit():
            return entry
    return None


@router.websocket("/ws")
async def websocket(
    socket: WebSocket, channels: Channels, ticket: Ticket = None, last_event_id: str | None = None
) -> None:
    """The same messages as /live/stream, one JSON text frame each. Authenticate with a
    stream ticket (`?ticket=`) or a bearer header; a refused channel gets an `error`
    message with its problem `code`, then the socket closes (4401 / 4403 / 4422)."""
    await socket.accept()
    try:
        principal = await _socket_principal(socket, ticket)
        session = await open_session(
            _context(socket), principal, parse_channels(channels), transport="ws",
            resume_from=_resume_point(last_event_id),
        )  # fmt: skip
    except TicketSafeError as exc:
        await socket.send_json({"id": "", "channel": "*", "type": "error",
                                "data": {"code": exc.code, "status": exc.status,
                                         "detail": str(exc)}})  # fmt: skip
        await socket.close(code=4000 + exc.status)
        return
    except WebSocketDisconnect:
        return
    connection = _WsConnection(session)
    if not hand_over(socket.scope, connection):
        await connection.run(socket.send, socket.receive)


class _WsConnection:
    """An accepted live WebSocket: one text frame per message (see `lane`)."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session

    async def run(self, send: Send, receive: Receive) -> None:
        async def write(message: LiveMessage) -> None:
            await send({"type": "websocket.send", "text": message.to_json()})

        # The client gone mid-write: the server's send raises ClientDisconnected (an
        # OSError), Starlette's WebSocketDisconnect.
        with contextlib.suppress(WebSocketDisconnect, OSError):
            if await self.session.run(write, receive) is Ended.LIFETIME:
                await send({"type": "websocket.close", "code": 1012})  # the client reconnects

    async def abandon(self) -> None:
        await self.session.close()


async def _socket_principal(socket: WebSocket, ticket: str | None) -> Principal:
    access = socket.app.state.services.access
    header = socket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        principal = _verify(socket.app.state.services.token_codec, token.strip(), socket.scope)
        return await access.authenticate(principal)  # type: ignore[no-any-return]
    if ticket is None:
        raise Unauthenticated("send a stream ticket (?ticket=) or a bearer header")
    redis = socket.app.state.resources.redis
    return await access.authenticate(await redeem_ticket(redis, ticket))  # type: ignore[no-any-return]
