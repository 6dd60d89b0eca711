"""Reading a request body in an ASGI middleware and handing it on to the app."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, bool]:
    """The whole body and True; or what was read and False once the client went away or
    the body passed `limit` (the app can read on with `replay(body, rest=receive)`)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if limit is not None and size > limit:
            return b"".join(chunks), False


def replay(body: bytes, rest: Receive | None = None) -> Receive:
    """A `receive` that yields `body` first, then the rest of the real stream (if the
    body was cut short) or a disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": rest is not None}
        if rest is not None:
            return await rest()
        return {"type": "http.disconnect"}

    return receive
