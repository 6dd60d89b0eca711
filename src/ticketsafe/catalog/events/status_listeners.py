"""Reactions of other domains to an event's status change — inventory opens, the waiting
room sets up its queue, orders refund a cancelled event — without the catalog importing
them: the composition root (`ticketsafe.services`) builds the listeners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.catalog.events.schemas import Event

StatusListener = Callable[[Event], Awaitable[None]]


async def get_status_listeners(request: Request) -> Sequence[StatusListener]:
    listeners: Sequence[StatusListener] = request.app.state.services.status_listeners
    return listeners


StatusListenersDep = Annotated[Sequence[StatusListener], Depends(get_status_listeners)]
