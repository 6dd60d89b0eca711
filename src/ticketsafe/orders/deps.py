"""The order service of a request: the process's collaborators (`ticketsafe.services`)
bound to the request's job buffer, which leaves after the answer (`infra.job_flush`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketsafe.infra.deps import JobsDep
from ticketsafe.orders.service import OrderService


async def get_order_service(request: Request, jobs: JobsDep) -> OrderService:
    service: OrderService = request.app.state.services.orders(jobs)
    return service


OrdersDep = Annotated[OrderService, Depends(get_order_service)]
