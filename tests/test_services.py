"""The composition root (`ticketsafe.services`): one container per process, read by
every dependency, fast-lane handler and job; no request-path module builds a service."""

from __future__ import annotations

import ast
import inspect
import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.requests import Request

import ticketsafe
from ticketsafe.app import create_app
from ticketsafe.catalog.events.status_listeners import get_status_listeners
from ticketsafe.checkin.deps import get_checkin
from ticketsafe.identity.deps import (
    get_access,
    get_account_service,
    get_organization_service,
    get_session_service,
    get_token_codec,
    get_vault,
)
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.inventory.deps import get_hold_orders, get_inventory
from ticketsafe.orders.deps import get_order_service
from ticketsafe.orders.service import OrderService
from ticketsafe.payments.deps import get_provider_context
from ticketsafe.payments.service import PAYMENT_CHANGED_JOB
from ticketsafe.services import Services
from ticketsafe.tasks import build_registry, periodic_tasks
from ticketsafe.tickets.deps import get_delivery, get_tickets, get_transfers
from ticketsafe.waitingroom.deps import get_hub, get_waiting_room


@pytest.fixture
def tuned(settings: Settings) -> Settings:
    """Settings no default matches, so a copy built with the defaults shows."""
    return settings.model_copy(
        update={"inventory_commit_grace_s": 7.0, "inventory_extend_warning_s": 45.0}
    )


@pytest.fixture
async def api(tuned: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(tuned)
    async with app.router.lifespan_context(app):
        yield app


def _request(app: FastAPI) -> Request:
    return Request({"type": "http", "app": app, "headers": []})


# Every dependency that hands out a service, and the container field it must return.
SINGLETONS: list[tuple[Callable[[Request], Awaitable[Any]], str]] = [
    (get_token_codec, "token_codec"),
    (get_access, "access"),
    (get_vault, "vault"),
    (get_session_service, "sessions"),
    (get_account_service, "accounts"),
    (get_organization_service, "organizations"),
    (get_inventory, "inventory"),
    (get_hold_orders, "hold_orders"),
    (get_waiting_room, "waiting_room"),
    (get_hub, "hub"),
    (get_tickets, "tickets"),
    (get_transfers, "transfers"),
    (get_delivery, "delivery"),
    (get_checkin, "checkin"),
    (get_status_listeners, "status_listeners"),
]


async def test_dependencies_return_the_containers_instances(api: FastAPI) -> None:
    services: Services = api.state.services
    for dependency, field in SINGLETONS:
        got = await dependency(_request(api))
        assert got is getattr(services, field), dependency.__name__
        assert got is await dependency(_request(api)), f"{dependency.__name__}: one per process"


async def test_a_requests_order_service_is_the_containers_bound_to_its_jobs(
    api: FastAPI,
) -> None:
    services: Services = api.state.services
    jobs = JobBuffer()
    orders = await get_order_service(_request(api), jobs)
    assert orders.jobs is jobs
    assert orders.inventory is services.inventory
    assert orders.waiting_room is services.waiting_room
    assert orders.vault is services.vault
    assert orders.prices is services.prices
    assert orders.memberships is services.access.memberships
    payments = await get_provider_context(_request(api), jobs)
    assert (payments.db, payments.jobs, payments.settings) == (
        services.db,
        jobs,
        api.state.resources.settings,
    )


async def test_the_api_and_the_worker_see_the_same_inventory_settings(
    api: FastAPI, tuned: Settings
) -> None:
    """`inventory_commit_grace_s` / `inventory_extend_warning_s` used to reach only the
    API's inventory: the worker's sweep and order jobs built theirs with the defaults."""
    in_api: Services = api.state.services
    resources = Resources.open(tuned)  # the worker's own clients, as `roles.serve` opens them
    try:
        in_worker = Services.build(resources)
        registry, tasks = build_registry(in_worker), periodic_tasks(in_worker)
        for services in (in_api, in_worker):
            assert services.inventory.commit_grace_ms == 7_000
            assert services.inventory.extend_warning_ms == 45_000
        (sweep,) = [t for t in tasks if t.name == "inventory.sweep"]
        assert inspect.getclosurevars(sweep.run).nonlocals["inventory"] is in_worker.inventory
        orders_for = inspect.getclosurevars(registry.handlers[PAYMENT_CHANGED_JOB]).nonlocals
        bound: OrderService = orders_for["orders"](JobBuffer())
        assert bound.inventory is in_worker.inventory
        await registry.close()
    finally:
        await in_worker.close()
        await resources.close()


# Where a service may be built: the composition root, the live layer it calls, the
# `rotate-keys` command (it must load the key ring after adding a key) and the bench's
# client (another process).
BUILDERS = {"services.py", "realtime/wiring.py", "identity/commands.py", "bench/target.py"}


def _service_classes() -> dict[str, str]:
    """The container's service classes: name -> defining module."""
    hints = typing.get_type_hints(Services)
    found = {h.__name__: h.__module__ for h in hints.values() if inspect.isclass(h)}
    found["OrderService"] = OrderService.__module__  # bound per unit of work by `orders`
    for plain in ("Resources", "KeyRing"):
        del found[plain]
    return found


def _constructions(source: str, classes: dict[str, str]) -> list[tuple[int, str]]:
    """Calls of `Class(...)`, `Class.build(...)` or `Class.from_resources(...)` of a class
    imported from where the container's comes from (not a namesake)."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in {"from_resources", "build"}:
            func = func.value
        if isinstance(func, ast.Name) and classes.get(func.id, "?") == imported.get(func.id):
            found.append((node.lineno, func.id))
    return found


def test_no_module_but_the_composition_root_constructs_a_service() -> None:
    """Requests, the fast lane, jobs and periodic tasks read the container's instances."""
    classes = _service_classes()
    assert {"InventoryService", "WaitingRoom", "TicketService", "PiiVault"} <= set(classes)
    root = Path(ticketsafe.__file__).parent
    found = [
        f"{path.relative_to(root)}:{line} {name}"
        for path in sorted(root.rglob("*.py"))
        if str(path.relative_to(root)) not in BUILDERS
        for line, name in _constructions(path.read_text(), classes)
    ]
    assert not found, "services built outside the composition root: " + ", ".join(found)


def test_the_guard_sees_a_service_built_in_a_dependency() -> None:
    classes = _service_classes()
    violating = (
        "from ticketsafe.inventory.service import InventoryService\n"
        "from ticketsafe.waitingroom.service import WaitingRoom\n"
        "from ticketsafe.webhooks.models import Delivery\n"
        "async def get_inventory(request):\n"
        "    Delivery(1)\n"  # a namesake of tickets' Delivery: not a service
        "    WaitingRoom.from_resources(request.app.state.resources)\n"
        "    return InventoryService(request.app.state.resources.db, None)\n"
    )
    assert _constructions(violating, classes) == [(6, "WaitingRoom"), (7, "InventoryService")]
