"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.responses import Response

from ticketsafe.infra.deps import ResourcesDep
from ticketsafe.infra.errors import ServiceBusy
from ticketsafe.ops.health import readiness

router = APIRouter(tags=["ops"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, str]


@router.get("/healthz", operation_id="ops_healthz")
async def healthz() -> Liveness:
    """The process is alive and serving HTTP."""
    return Liveness()


@router.get(
    "/readyz",
    operation_id="ops_readyz",
    responses={503: {"description": "A store does not answer"}},
)
async def readyz(resources: ResourcesDep) -> Readiness:
    """MongoDB and Redis both answer; otherwise 503 with which one failed."""
    checks = await readiness(resources)
    if any(v != "ok" for v in checks.values()):
        raise ServiceBusy("not ready: a store does not answer", retry_after=2, checks=checks)
    return Readiness(checks=checks)


@router.get("/metrics", operation_id="ops_metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
