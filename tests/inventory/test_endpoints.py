"""The HTTP surface: hold kinds, problem+json errors, idempotent retries, admission hook."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.inventory.conftest import seated_layout
from tests.waitingroom.conftest import join_direct
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.errors import Forbidden
from ticketsafe.infra.redisdb import create_redis_client
from ticketsafe.infra.resources import Resources
from ticketsafe.inventory.deps import get_admission_check, get_inventory
from ticketsafe.inventory.service import InventoryService
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.schemas import AdmissionMode, QueueConfig
from ticketsafe.waitingroom.service import WaitingRoom


@pytest.fixture
async def provisioned(client: httpx.AsyncClient, resources: Resources) -> None:
    service = InventoryService(resources.db, resources.redis)
    await service.provision_event(seated_layout(areas={"floor": 3}, limit=4))


def auth(app: FastAPI, user: str = "usr_a", **extra: str) -> dict[str, str]:
    token = app.state.services.token_codec.issue(Principal(user))
    return {"authorization": f"Bearer {token}", **extra}


@pytest.mark.usefixtures("provisioned")
async def test_hold_get_release(app: FastAPI, client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/events/evt_1/holds", json={"kind": "seats", "seat_ids": ["A-1-1"]}, headers=auth(app)
    )
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["seats"] == ["A-1-1"]
    path = f"/events/evt_1/holds/{hold['hold_id']}"
    assert (await client.get(path, headers=auth(app))).json()["hold_id"] == hold["hold_id"]
    assert (await client.get(path, headers=auth(app, "usr_b"))).status_code == 404
    assert (await client.delete(path, headers=auth(app))).status_code == 204
    gone = await client.delete(path, headers=auth(app))
    assert gone.status_code == 410
    assert gone.json()["code"] == "hold_expired"


@pytest.mark.usefixtures("provisioned")
async def test_a_hold_under_another_events_path_does_not_exist(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Nested ids must belong to the path's parent: the buyer's own hold of evt_1,
    asked for, extended or released under evt_2's path, is 404 and stays as it was."""
    r = await client.post(
        "/events/evt_1/holds", json={"kind": "seats", "seat_ids": ["A-1-1"]}, headers=auth(app)
    )
    hold_id = r.json()["hold_id"]
    elsewhere = f"/events/evt_2/holds/{hold_id}"
    for method, url in (("GET", elsewhere), ("POST", f"{elsewhere}/extend"), ("DELETE", elsewhere)):
        answer = await client.request(method, url, headers=auth(app))
        assert (answer.status_code, answer.json()["code"]) == (404, "hold_not_found"), url
    kept = await client.get(f"/events/evt_1/holds/{hold_id}", headers=auth(app))
    assert kept.status_code == 200


@pytest.mark.usefixtures("provisioned")
async def test_error_shapes(app: FastAPI, client: httpx.AsyncClient) -> None:
    url = "/events/evt_1/holds"
    await client.post(url, json={"kind": "seats", "seat_ids": ["A-1-1"]}, headers=auth(app))
    taken = await client.post(
        url, json={"kind": "seats", "seat_ids": ["A-1-1", "A-1-2"]}, headers=auth(app, "usr_b")
    )
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["code"] == "seats_taken"
    assert taken.json()["seats"] == ["A-1-1"]
    sold_out = await client.post(
        url, json={"kind": "ga", "area_id": "floor", "quantity": 4}, headers=auth(app, "usr_c")
    )
    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == "sold_out"
    limit = await client.post(
        url, json={"kind": "best", "section_id": "A", "quantity": 4}, headers=auth(app)
    )
    assert limit.status_code == 409
    assert limit.json()["limit"] == 4
    unknown = await client.post(
        url, json={"kind": "seats", "seat_ids": ["nope"]}, headers=auth(app, "usr_d")
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_units"
    missing = await client.post(
        "/events/evt_none/holds", json={"kind": "ga", "area_id": "x", "quantity": 1},
        headers=auth(app),
    )  # fmt: skip
    assert missing.status_code == 404
    assert missing.json()["code"] == "event_not_provisioned"
    assert (
        await client.post(url, json={"kind": "ga", "area_id": "floor", "quantity": 1})
    ).status_code == 401


@pytest.mark.usefixtures("provisioned")
async def test_retried_hold_returns_the_first_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    url = "/events/evt_1/holds"
    body = {"kind": "best", "section_id": "A", "quantity": 2}
    first = await client.post(url, json=body, headers=auth(app, **{"idempotency-key": "k1"}))
    again = await client.post(url, json=body, headers=auth(app, **{"idempotency-key": "k1"}))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    availability = (await client.get("/events/evt_1/availability")).json()
    held = [s for s, st in availability["seats"].items() if st == "held"]
    assert sorted(held) == sorted(first.json()["seats"])  # one hold, not two


@pytest.mark.usefixtures("provisioned")
async def test_retried_failure_is_replayed_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    url = "/events/evt_1/holds"
    body = {"kind": "ga", "area_id": "floor", "quantity": 4}
    first = await client.post(url, json=body, headers=auth(app, **{"idempotency-key": "k"}))
    again = await client.post(url, json=body, headers=auth(app, **{"idempotency-key": "k"}))
    assert first.status_code == again.status_code == 409
    assert again.json()["code"] == "sold_out"


@pytest.mark.usefixtures("provisioned")
async def test_availability(client: httpx.AsyncClient) -> None:
    r = await client.get("/events/evt_1/availability")
    assert r.status_code == 200
    body = r.json()
    assert body["ga"] == {"floor": {"capacity": 3, "available": 3}}
    assert len(body["seats"]) == 50
    assert isinstance(body["version"], int)


@pytest.mark.usefixtures("provisioned")
async def test_admission_check_gets_the_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    seen: list[tuple[str | None, str, str]] = []

    class Recording:
        async def __call__(self, token: str | None, *, user_id: str, event_id: str) -> None:
            seen.append((token, user_id, event_id))
            if token != "good":
                raise Forbidden("not admitted yet", code="not_admitted")

    app.dependency_overrides[get_admission_check] = Recording
    url = "/events/evt_1/holds"
    body = {"kind": "ga", "area_id": "floor", "quantity": 1}
    denied = await client.post(url, json=body, headers=auth(app))
    assert denied.status_code == 403
    ok = await client.post(url, json=body, headers=auth(app, **{"x-admission-token": "good"}))
    assert ok.status_code == 201
    assert seen == [(None, "usr_a", "evt_1"), ("good", "usr_a", "evt_1")]


async def test_store_down_is_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    dead = create_redis_client(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5)

    async def unreachable() -> InventoryService:
        return InventoryService(resources.db, dead)

    app.dependency_overrides[get_inventory] = unreachable
    try:
        r = await client.post(
            "/events/evt_1/holds",
            json={"kind": "ga", "area_id": "floor", "quantity": 1},
            headers=auth(app),
        )
    finally:
        await dead.aclose()
    assert r.status_code == 503
    assert r.json()["code"] == "inventory_busy"
    assert r.headers["retry-after"] == "1"


@pytest.mark.usefixtures("provisioned")
async def test_hold_keeps_its_idempotency_key_in_the_same_atomic_call(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    url = "/events/evt_1/holds"
    body = {"kind": "seats", "seat_ids": ["A-2-1", "A-2-2"]}
    key = auth(app, "usr_k", **{"idempotency-key": "same"})
    # Concurrent duplicates: one hold, and every one of them gets its answer.
    answers = await asyncio.gather(*(client.post(url, json=body, headers=key) for _ in range(8)))
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["hold_id"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 7
    first = answers[0].json()
    # Released meanwhile: a retry still gets the first answer, not a second hold.
    await client.delete(f"{url}/{first['hold_id']}", headers=auth(app, "usr_k"))
    again = await client.post(url, json=body, headers=key)
    assert again.json() == first
    availability = (await client.get("/events/evt_1/availability")).json()
    assert availability["seats"]["A-2-1"] == "available"
    # The same key on another request is refused; another buyer's key is their own.
    other = await client.post(url, json={"kind": "seats", "seat_ids": ["A-3-1"]}, headers=key)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    theirs = await client.post(
        url, json=body, headers=auth(app, "usr_l", **{"idempotency-key": "same"})
    )
    assert theirs.status_code == 201
    assert theirs.json()["hold_id"] != first["hold_id"]
    # A malformed key gets the idempotency layer's own answer.
    bad = await client.post(
        url, json=body, headers=auth(app, "usr_k", **{"idempotency-key": "x" * 300})
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_idempotency_key")


@pytest.mark.usefixtures("provisioned")
async def test_a_refused_keyed_hold_is_tried_again_on_retry(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    url = "/events/evt_1/holds"
    blocker = await client.post(
        url, json={"kind": "ga", "area_id": "floor", "quantity": 3}, headers=auth(app, "usr_a")
    )
    key = auth(app, "usr_b", **{"idempotency-key": "k-ga"})
    body = {"kind": "ga", "area_id": "floor", "quantity": 1}
    assert (await client.post(url, json=body, headers=key)).status_code == 409
    await client.delete(f"{url}/{blocker.json()['hold_id']}", headers=auth(app, "usr_a"))
    retried = await client.post(url, json=body, headers=key)  # it changed nothing before
    assert retried.status_code == 201


async def test_a_shopper_sold_out_or_releasing_makes_room_in_the_queue(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    """Auto admission keeps N shoppers active: one refused as sold out, or who gives the
    hold back, must not keep a place the next person in the queue could use."""
    room: WaitingRoom = app.state.services.waiting_room
    service = InventoryService(resources.db, resources.redis)
    await service.provision_event(seated_layout("evt_q", areas={"floor": 1}, limit=4))
    config = QueueConfig(
        event_id="evt_q", org_id="org_1", on_sale_at=datetime.now(UTC) - timedelta(seconds=1),
        pow_difficulty=0, mode=AdmissionMode.AUTO, target_active=2,
    )  # fmt: skip
    await room.configure_queue(config)
    for user in ("usr_a", "usr_b", "usr_c", "usr_d"):
        await join_direct(room, "evt_q", user)
    admissions = Admissions(resources.db, resources.redis)
    await admissions.tick()
    await admissions.tick()
    organizer = Principal("usr_org", frozenset({Role.ORGANIZER}), ("org_1",))

    async def hold(user: str) -> httpx.Response:
        token = (await room.status("evt_q", Principal(user))).admission_token
        assert token is not None
        return await client.post(
            "/events/evt_q/holds", json={"kind": "ga", "area_id": "floor", "quantity": 1},
            headers=auth(app, user, **{"x-admission-token": token}),
        )  # fmt: skip

    first = await hold("usr_a")
    assert first.status_code == 201
    assert (await room.stats("evt_q", organizer)).active_shoppers == 2
    sold_out = await hold("usr_b")
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "sold_out")
    assert (await room.stats("evt_q", organizer)).active_shoppers == 1  # usr_b's place freed
    await admissions.tick()
    assert (await room.status("evt_q", Principal("usr_c"))).admission_token is not None
    path = f"/events/evt_q/holds/{first.json()['hold_id']}"
    assert (await client.delete(path, headers=auth(app, "usr_a"))).status_code == 204
    assert (await room.stats("evt_q", organizer)).active_shoppers == 1  # usr_a left too
