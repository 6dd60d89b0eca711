"""The FastAPI application factory. Clients are built in `lifespan`, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI

from ticketsafe import __version__
from ticketsafe.catalog.endpoints import router as catalog_router
from ticketsafe.checkin.endpoints import FAST_ROUTES as CHECKIN_FAST_ROUTES
from ticketsafe.checkin.endpoints import router as checkin_router
from ticketsafe.identity.deps import get_current_member, get_current_user, get_optional_user
from ticketsafe.identity.endpoints import router as identity_router
from ticketsafe.infra.access_log import AccessLogMiddleware
from ticketsafe.infra.api_docs import install_api_docs
from ticketsafe.infra.fastlane import FastLane
from ticketsafe.infra.idempotency import IdempotencyMiddleware
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.openapi import install_problem_contract
from ticketsafe.infra.problem_handlers import install_problem_handlers
from ticketsafe.infra.request_context import RequestIdMiddleware
from ticketsafe.infra.request_text import reject_unencodable_text
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.security_headers import SecurityHeadersMiddleware
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.static_files import mount_frontend
from ticketsafe.infra.tracing import TracingMiddleware
from ticketsafe.inventory.endpoints import FAST_ROUTES as INVENTORY_FAST_ROUTES
from ticketsafe.inventory.endpoints import router as inventory_router
from ticketsafe.ops.endpoints import router as ops_router
from ticketsafe.ops.metrics import MetricsMiddleware
from ticketsafe.orders.endpoints import FAST_ROUTES as ORDERS_FAST_ROUTES
from ticketsafe.orders.endpoints import router as orders_router
from ticketsafe.payments.endpoints import FAST_ROUTES as PAYMENTS_FAST_ROUTES
from ticketsafe.payments.endpoints import router as payments_router
from ticketsafe.payments.processors.sandbox_relay import router as sandbox_psp_router
from ticketsafe.realtime.endpoints import router as live_router
from ticketsafe.realtime.lane import LiveLane
from ticketsafe.schema import MIGRATIONS
from ticketsafe.services import Services
from ticketsafe.tickets.endpoints import router as tickets_router
from ticketsafe.waitingroom.endpoints import FAST_ROUTES as WAITINGROOM_FAST_ROUTES
from ticketsafe.waitingroom.endpoints import router as waitingroom_router
from ticketsafe.webhooks.endpoints import router as webhooks_router


def _compose(app: FastAPI, resources: Resources) -> Services:
    """The process's one services container (`ticketsafe.services`), on `app.state`:
    `resources` (the clients, for infra's dependencies) and `services` (every service a
    request, the fast lane or a listener reads). Nothing else is kept there."""
    services = Services.build(resources)
    app.state.resources = resources
    app.state.services = services
    return services


def create_app(settings: Settings, *, frontend_dir: Path | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = Resources.open(settings)
        services: Services | None = None
        try:
            await migrate(resources.db, MIGRATIONS)
            services = _compose(app, resources)
            yield
        finally:
            if services is not None:
                await services.close()
            await resources.close()

    app = FastAPI(
        title="TicketSafe",
        version=__version__,
        description="Ticket sales for events that sell out in minutes.",
        lifespan=lifespan,
        docs_url=None,  # served by install_api_docs: local assets, a CSP that allows them
        redoc_url=None,
        # We export Prometheus metrics ourselves; FastAPI's OpenTelemetry hook would check
        # the global providers (environment lookups) on every request: ~10 % of a hold.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        dependencies=[Depends(reject_unencodable_text)],  # text must encode: else 422
    )
    install_problem_handlers(app)
    install_problem_contract(
        app,
        caller_required=(get_current_user, get_current_member),
        caller_optional=get_optional_user,
    )
    # Routes match in order: the flash-sale hot paths (holds, queue) go first so they
    # are not tested against every catalog and identity route on each request.
    app.include_router(inventory_router)
    app.include_router(waitingroom_router)
    app.include_router(ops_router)
    app.include_router(catalog_router)
    app.include_router(identity_router)
    app.include_router(orders_router)
    app.include_router(payments_router)
    app.include_router(webhooks_router)
    app.include_router(tickets_router)
    app.include_router(checkin_router)
    app.include_router(live_router)
    if settings.payments_sandbox:
        app.include_router(sandbox_psp_router)
    install_api_docs(app)  # after the API's routes, before the front-end's catch-all
    if frontend_dir is not None:
        mount_frontend(app, frontend_dir)
    # Added innermost first: request id wraps everything, so even errors carry it.
    app.add_middleware(FastLane, routes=ORDERS_FAST_ROUTES, behind_idempotency=True)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        FastLane,
        routes=[
            *INVENTORY_FAST_ROUTES,
            *CHECKIN_FAST_ROUTES,
            *WAITINGROOM_FAST_ROUTES,
            *PAYMENTS_FAST_ROUTES,
        ],
        yield_limit=settings.http_crowd_concurrency,
        crowd_max_waiting=settings.http_crowd_max_waiting,
        crowd_max_wait_s=settings.http_crowd_max_wait_s,
    )
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts_max_age=settings.hsts_max_age if settings.tls_enabled else None,
    )
    app.add_middleware(AccessLogMiddleware, sample_rate=settings.access_log_sample_rate)
    if settings.tracing_otlp_url is not None:  # a span per request, fast lane included
        app.add_middleware(TracingMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(LiveLane)  # outermost: a live connection's frames skip the others
    return app
