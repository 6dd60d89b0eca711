"""The fast lane answers exactly as the FastAPI route it shadows.

Each scenario runs twice against fresh state: once on the fast lane, once with a no-op
dependency override installed (which sends every request down the FastAPI route). Status,
content type, error code and body shape must agree; ids and times may differ."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.inventory.conftest import seated_layout
from tests.orders.conftest import Sale, open_sale
from tests.orders.test_checkout import VISA_DECLINED, VISA_OK, card
from tests.waitingroom.conftest import auth as queue_auth
from ticketsafe.identity.deps import get_token_codec
from ticketsafe.identity.principal import Principal
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.fastlane import FastLane, FastRequest, FastResponse, FastRoute
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER, sign
from ticketsafe.inventory.endpoints import FAST_ROUTES as INVENTORY_FAST_ROUTES
from ticketsafe.inventory.service import InventoryService
from ticketsafe.payments import service as payments
from ticketsafe.payments.models import PaymentMethod
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.waitingroom.proof_of_work import solve
from ticketsafe.waitingroom.schemas import QueueConfig
from ticketsafe.waitingroom.service import WaitingRoom

_VOLATILE = {"hold_id", "expires_at", "expires_at_ms", "created_at", "request_id", "version",
             "pseudonym", "on_sale_at", "admission_token", "admission_expires_at", "admitted_at",
             "challenge", "id", "event_id", "line_id", "payment_deadline",
             "pix_copia_e_cola", "pix_txid", "sandbox_pay_url"}  # fmt: skip


def _shape(r: httpx.Response) -> tuple[int, str, Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return r.status_code, r.headers["content-type"], strip(r.json())


def _bearer(app: FastAPI, user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {app.state.services.token_codec.issue(Principal(user))}"}


Scenario = Callable[[FastAPI, httpx.AsyncClient], Awaitable[list[httpx.Response]]]


async def _both_ways(
    app: FastAPI, client: httpx.AsyncClient, prepare: Callable[[], Awaitable[None]],
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[tuple[int, str, Any]], list[tuple[int, str, Any]]]:  # fmt: skip
    served: list[str] = []
    serve = FastLane._serve

    async def counting(self: FastLane, route: FastRoute, *args: Any) -> None:
        served.append(route.path)
        await serve(self, route, *args)

    monkeypatch.setattr(FastLane, "_serve", counting)
    await prepare()
    fast = [_shape(r) for r in await scenario(app, client)]
    assert served, "the first run must take the fast lane"
    await prepare()
    served.clear()
    app.dependency_overrides[get_token_codec] = lambda: app.state.services.token_codec
    try:
        slow = [_shape(r) for r in await scenario(app, client)]
    finally:
        app.dependency_overrides.clear()
    assert not served, "the second run must take the FastAPI routes"
    return fast, slow


async def _holds(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
    url = "/events/evt_1/holds"
    post = client.post
    return [
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 2},
                   headers=_bearer(app, "usr_a")),
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 2},
                   headers=_bearer(app, "usr_b")),  # sold out: 1 left
        await post(url, json={"kind": "seats", "seat_ids": ["A-1-1", "A-1-2"]},
                   headers=_bearer(app, "usr_b")),
        await post(url, json={"kind": "seats", "seat_ids": ["A-1-2"]},
                   headers=_bearer(app, "usr_c")),  # taken, with which seat
        await post(url, json={"kind": "best", "section_id": "A", "quantity": 3},
                   headers=_bearer(app, "usr_d")),
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 9},
                   headers=_bearer(app, "usr_e")),  # over the per-buyer limit
        await post(url, json={"kind": "ga", "area_id": "nowhere", "quantity": 1},
                   headers=_bearer(app, "usr_e")),
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 0},
                   headers=_bearer(app, "usr_e")),  # invalid: FastAPI's 422
        await post(url, content=b"{not json", headers={**_bearer(app, "usr_e"),
                   "content-type": "application/json"}),
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 1}),  # no token
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 1},
                   headers={"authorization": "Bearer not-a-token"}),
        await post(url, json={"kind": "ga", "area_id": "floor", "quantity": 1},
                   headers={"authorization": "Basic dXNlcjpwYXNz"}),
        await post("/events/evt_unknown/holds", json={"kind": "ga", "area_id": "floor",
                   "quantity": 1}, headers=_bearer(app, "usr_f")),
        await post("/events/bad%20id/holds", json={"kind": "ga", "area_id": "floor",
                   "quantity": 1}, headers=_bearer(app, "usr_f")),
    ]  # fmt: skip


async def test_holds_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def prepare() -> None:
        await resources.redis.flushdb()
        await resources.db["inventory_units"].delete_many({})
        service = InventoryService(resources.db, resources.redis)
        await service.provision_event(seated_layout(areas={"floor": 3}, limit=4))

    fast, slow = await _both_ways(app, client, prepare, _holds, monkeypatch)
    assert fast == slow
    assert [s for s, _, _ in fast] == [201, 409, 201, 409, 201, 409, 422, 422, 422,
                                       401, 401, 401, 404, 422]  # fmt: skip


def _fresh_queue(
    room: WaitingRoom, resources: Resources, event_id: str
) -> Callable[[], Awaitable[None]]:
    """An empty Redis and an open queue (no proof of work), before each path's run."""

    async def prepare() -> None:
        await resources.redis.flushdb()
        config = QueueConfig(
            event_id=event_id, org_id="org_1", pow_difficulty=0, rate_per_minute=60,
            on_sale_at=datetime.now(UTC) - timedelta(seconds=1),
        )  # fmt: skip
        await room.configure_queue(config)

    return prepare


async def test_joins_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    room: WaitingRoom = app.state.services.waiting_room
    event_id = "evt_fastlane"
    prepare = _fresh_queue(room, resources, event_id)

    async def joins(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        url = f"/waitingroom/events/{event_id}/join"
        out = []
        for user in ("usr_1", "usr_2", "usr_1"):  # the second join keeps the first place
            challenge = room.pow.issue(event_id, user, 0)
            out.append(await client.post(
                url, json={"challenge": challenge, "solution": solve(challenge, 0)},
                headers=queue_auth(app, user),
            ))  # fmt: skip
        reused = room.pow.issue(event_id, "usr_3", 0)
        body = {"challenge": reused, "solution": solve(reused, 0)}
        out.append(await client.post(url, json=body, headers=queue_auth(app, "usr_3")))
        out.append(await client.post(url, json=body, headers=queue_auth(app, "usr_3")))
        stolen = room.pow.issue(event_id, "usr_4", 0)  # someone else's challenge
        out.append(await client.post(
            url, json={"challenge": stolen, "solution": "0"}, headers=queue_auth(app, "usr_5")
        ))  # fmt: skip
        out.append(await client.post(url, json={"challenge": "x"}, headers=queue_auth(app, "u")))
        out.append(await client.post(url, json=body))
        out.append(await client.post(
            "/waitingroom/events/evt_none/join", json=body, headers=queue_auth(app, "usr_3")
        ))  # fmt: skip
        return out

    fast, slow = await _both_ways(app, client, prepare, joins, monkeypatch)
    assert fast == slow
    assert [s for s, _, _ in fast][:3] == [200, 200, 200]
    assert fast[2][2]["position"] == fast[0][2]["position"] == 1


async def test_queue_status_and_challenges_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    room: WaitingRoom = app.state.services.waiting_room
    event_id = "evt_fastlane_status"
    prepare = _fresh_queue(room, resources, event_id)

    async def polls(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        base = f"/waitingroom/events/{event_id}"
        me = queue_auth(app, "usr_1")
        out = [await client.get(f"{base}/status", headers=me)]  # not in the queue yet
        issued = await client.post(f"{base}/challenge", headers=me)
        out.append(issued)
        challenge = issued.json()["challenge"]
        await client.post(
            f"{base}/join", json={"challenge": challenge, "solution": solve(challenge, 0)},
            headers=me,
        )  # fmt: skip
        out.append(await client.get(f"{base}/status", headers=me))
        out.append(await client.get(f"{base}/status"))  # no token: 401
        out.append(await client.post(f"{base}/challenge"))
        out.append(await client.get("/waitingroom/events/evt_none/status", headers=me))
        out.append(await client.post("/waitingroom/events/evt_none/challenge", headers=me))
        started = time.monotonic()
        limited = [
            await client.post(f"{base}/challenge", headers=queue_auth(app, "usr_2"))
            for _ in range(40)
        ]
        took = time.monotonic() - started
        out.append(limited[-1])  # past the per-account rate: 429 with Retry-After
        # The account's burst spent, its next challenge is due one interval after the
        # first; Retry-After is that wait rounded up, so it shrinks as the 40 requests
        # take longer (the two runs differ by 1 s on a loaded machine): bounded here.
        interval = math.ceil(room_rate.interval_us / 1_000_000)
        wait = int(limited[-1].headers["retry-after"])
        assert max(1, math.ceil(interval - took)) <= wait <= interval, (wait, took)
        assert limited[-1].json()["retry_after"] == wait
        return out

    room_rate = app.state.resources.settings.rate_limits.challenge_per_account
    fast, slow = await _both_ways(app, client, prepare, polls, monkeypatch)
    for shaped in (fast, slow):  # the wait itself, bounded in each run, may differ
        refused = shaped[-1][2]
        refused["detail"] = refused["detail"].replace(f"{refused.pop('retry_after')} s", "N s")
    assert fast == slow
    assert [s for s, _, _ in fast] == [200, 200, 200, 401, 401, 404, 404, 429]
    assert fast[0][2]["state"] == "not_in_queue"
    assert fast[2][2]["position"] == 1


async def test_a_revoked_session_is_refused_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed out (or caught reusing a refresh token): the fast lane's hold, join,
    challenge and poll refuse the still unexpired token as the FastAPI routes do, also
    once Redis lost the denylist (each run starts flushed: it is rebuilt from MongoDB)."""
    room: WaitingRoom = app.state.services.waiting_room
    event_id = "evt_fastlane_revoked"
    queue = _fresh_queue(room, resources, event_id)
    repo = IdentityRepository(resources.db)

    async def prepare() -> None:
        await queue()
        await resources.db["inventory_units"].delete_many({})
        service = InventoryService(resources.db, resources.redis)
        await service.provision_event(seated_layout(areas={"floor": 3}, limit=4))
        if await repo.session("ses_gone") is None:
            await repo.insert_session("ses_gone", "usr_r", datetime.now(UTC))
            await repo.revoke_session("ses_gone", datetime.now(UTC))

    async def revoked(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        token = app.state.services.token_codec.issue(Principal("usr_r", session_id="ses_gone"))
        gone = {"authorization": f"Bearer {token}"}
        base = f"/waitingroom/events/{event_id}"
        return [
            await client.post("/events/evt_1/holds", headers=gone,
                              json={"kind": "ga", "area_id": "floor", "quantity": 1}),
            await client.get(f"{base}/status", headers=gone),
            await client.post(f"{base}/challenge", headers=gone),
            await client.post(f"{base}/join", headers=gone,
                              json={"challenge": "c", "solution": "s"}),
        ]  # fmt: skip

    fast, slow = await _both_ways(app, client, prepare, revoked, monkeypatch)
    assert fast == slow
    assert [(s, body["code"]) for s, _, body in fast] == [(401, "session_revoked")] * 4


async def test_checkouts_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkout's lane sits inside the idempotency middleware: keyed or not, replayed or
    refused, paid or pending, it answers as the route does."""
    sales: list[Sale] = []

    async def prepare() -> None:
        sales.append(await open_sale(app, client, resources))

    async def checkouts(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        sale = sales[-1]
        a, b, c = sale.buyer("usr_a"), sale.buyer("usr_b"), sale.buyer("usr_c")
        k = sale.event_id  # kept answers outlive a run: each run its own keys
        ga = await sale.hold(a, {"kind": "ga", "area_id": "pista", "quantity": 2})
        out = [await sale.checkout(a, ga, key=f"{k}-1")]  # PIX: pending, with instructions
        replay = await sale.checkout(a, ga, key=f"{k}-1")
        assert replay.headers.get("idempotent-replayed") == "true"
        out.append(replay)
        out.append(await sale.checkout(a, ga, key=f"{k}-1", locale="en"))  # key reused: 422
        out.append(await sale.checkout(a, ga, key=f"{k}-2"))  # the same hold again: same order
        seats = await sale.hold(b, {"kind": "seats", "seat_ids": ["A:r-1:s-1", "A:r-1:s-2"]})
        out.append(await sale.checkout(
            b, seats, method="card_sandbox", card_token=await card(client, VISA_OK)
        ))  # fmt: skip
        one = await sale.hold(c, {"kind": "ga", "area_id": "pista", "quantity": 1})
        out.append(await sale.checkout(c, one, total=1, key=f"{k}-3"))  # the price changed: 409
        out.append(await sale.checkout(c, one, method="card_sandbox"))  # no card token
        out.append(await sale.checkout(
            c, one, method="card_sandbox", card_token=await card(client, VISA_DECLINED)
        ))  # fmt: skip
        out.append(await sale.checkout(c, {**one, "hold_id": "hld_unknown"}))
        out.append(await sale.checkout(c, {**one, "ga": {}}, key=f"{k}-4"))  # no tickets: 422
        out.append(await client.post("/orders", json={"hold_id": one["hold_id"]}))  # no token
        out.append(await client.post(
            "/orders", content=b"{not json", headers={**c, "content-type": "application/json"}
        ))  # fmt: skip
        return out

    fast, slow = await _both_ways(app, client, prepare, checkouts, monkeypatch)
    assert fast == slow
    assert [(s, b.get("code")) for s, _, b in fast] == [
        (201, None), (201, None), (422, "idempotency_key_reused"), (201, None), (201, None),
        (409, "price_changed"), (422, "card_token_required"), (409, "payment_declined"),
        (404, "hold_not_found"), (422, "validation_failed"), (401, "unauthenticated"),
        (422, "validation_failed"),
    ]  # fmt: skip
    assert fast[4][2]["status"] == "paid"


async def test_psp_webhooks_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    assert settings.psp_webhook_secret is not None
    secret = settings.psp_webhook_secret.get_secret_value()
    url = "/payments/webhooks/sandbox-psp"
    refs: list[str] = []

    async def prepare() -> None:
        ctx = ProviderContext(resources.db, resources.redis, JobBuffer(), settings, resources.http)
        payment = await payments.start_payment(
            ctx, order_id="ord_1", method=PaymentMethod.PIX, amount_cents=500, currency="BRL"
        )
        assert payment.provider_ref is not None
        refs.append(payment.provider_ref)

    async def deliveries(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        run = len(refs)  # event ids are remembered across runs: each run its own

        def event(n: int, kind: str, charge: str) -> bytes:
            return orjson.dumps({"id": f"evt_{run}_{n}", "type": kind,
                                 "created": int(time.time()), "data": {"id": charge}})  # fmt: skip

        def signed(body: bytes, key: str = secret, **kw: Any) -> dict[str, str]:
            return {SIGNATURE_HEADER: sign(key, body, **kw)}

        paid = event(1, "pix.received", refs[-1])
        return [
            await client.post(url, content=paid, headers=signed(paid)),  # applied
            await client.post(url, content=paid, headers=signed(paid)),  # duplicate
            await client.post(url, content=event(2, "pix.received", refs[-1]),
                              headers=signed(event(2, "pix.received", refs[-1]))),  # already
            await client.post(url, content=event(3, "charge.refunded", refs[-1]),
                              headers=signed(event(3, "charge.refunded", refs[-1]))),  # ignored
            await client.post(url, content=event(4, "pix.received", "pix_unknown"),
                              headers=signed(event(4, "pix.received", "pix_unknown"))),
            await client.post(url, content=event(5, "pix.received", refs[-1])),  # unsigned
            await client.post(url, content=paid, headers=signed(paid, "not-the-secret")),
            await client.post(url, content=paid,
                              headers=signed(paid, timestamp=int(time.time()) - 900)),
        ]  # fmt: skip

    fast, slow = await _both_ways(app, client, prepare, deliveries, monkeypatch)
    assert fast == slow
    assert [(s, b.get("outcome") or b.get("code")) for s, _, b in fast] == [
        (200, "applied"), (200, "duplicate"), (200, "already_applied"), (200, "ignored"),
        (200, "unknown_payment"), (401, "webhook_signature_invalid"),
        (401, "webhook_signature_invalid"), (401, "webhook_signature_invalid"),
    ]  # fmt: skip


def test_route_templates_match_by_segment() -> None:
    async def handler(_: Any) -> None:
        return None

    route = FastRoute("POST", "/events/{event_id}/holds", handler)
    assert route.match("/events/evt_1/holds") == {"event_id": "evt_1"}
    assert route.match("/events/evt_1/holds/") == {"event_id": "evt_1"}
    assert route.match("/events//holds") is None
    assert route.match("/events/evt_1/holds/h_1") is None
    assert route.match("/events/evt_1/hold") is None


async def test_large_or_foreign_bodies_go_to_fastapi(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    await InventoryService(resources.db, resources.redis).provision_event(
        seated_layout(areas={"floor": 3}, limit=4)
    )
    route = next(r for r in INVENTORY_FAST_ROUTES if r.path == "/events/{event_id}/holds")
    answers: list[FastResponse | None] = []
    handler = route.handler

    async def spy(request: FastRequest) -> FastResponse | None:
        answers.append(await handler(request))
        return answers[-1]

    monkeypatch.setattr(route, "handler", spy)
    url = "/events/evt_1/holds"
    form = await client.post(url, data={"kind": "ga"}, headers=_bearer(app, "usr_a"))
    assert answers == [None]  # declined by the lane ...
    assert (form.status_code, form.json()["code"]) == (422, "validation_failed")  # ... FastAPI

    async def chunks() -> AsyncIterator[bytes]:  # a body streamed past the lane's limit
        yield b'{"kind":"ga","area_id":"floor","quantity":1,"pad":"'
        for _ in range(4):
            yield b"x" * 32_768
        yield b'"}'

    headers = {**_bearer(app, "usr_a"), "content-type": "application/json"}
    big = await client.post(url, content=chunks(), headers=headers)
    assert len(answers) == 1  # never reached the lane's handler
    assert big.status_code == 201, big.text  # FastAPI read on from where the lane stopped
    assert big.json()["ga"] == {"floor": 1}


@pytest.mark.parametrize("limit", [1, 0])
async def test_yielding_routes_take_turns_and_the_shop_goes_first(limit: int) -> None:
    release = asyncio.Event()
    seen: list[str] = []

    async def crowd(request: FastRequest) -> FastResponse:
        seen.append(f"crowd {request.params['n']} in")
        await release.wait()
        seen.append(f"crowd {request.params['n']} out")
        return FastResponse(200, b"{}")

    async def shop(request: FastRequest) -> FastResponse:
        seen.append("shop")
        return FastResponse(200, b"{}")

    async def unmatched(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("every request here matches a fast route")

    routes = [FastRoute("GET", "/crowd/{n}", crowd, yields=True), FastRoute("GET", "/shop", shop)]
    lane = FastLane(unmatched, routes, yield_limit=limit)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = SimpleNamespace()  # no dependency overrides installed
        await lane(scope, receive, send)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lane") as client:
        first = asyncio.create_task(client.get("/crowd/1"))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(client.get("/crowd/2"))
        await asyncio.sleep(0.05)
        assert (await client.get("/shop")).status_code == 200  # not behind the crowd
        release.set()
        assert [(await first).status_code, (await second).status_code] == [200, 200]
    if limit:  # the second crowd request waited for the first to finish
        assert seen == ["crowd 1 in", "shop", "crowd 1 out", "crowd 2 in", "crowd 2 out"]
    else:
        assert seen == ["crowd 1 in", "crowd 2 in", "shop", "crowd 1 out", "crowd 2 out"]


async def _odd_holds(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
    """Bodies only a strict, store-aware schema refuses (issue 24, items 4-6)."""
    url, headers = "/events/evt_1/holds", _bearer(app, "usr_a")
    raw = {**headers, "content-type": "application/json"}
    return [
        await client.post(url, json={"kind": "ga", "area_id": "floor", "quantity": q},
                          headers=headers)
        for q in ("2", True, 2**70)
    ] + [
        await client.post(url, content=b'{"kind": "ga", "area_id": "\\ud800", "quantity": 1}',
                          headers=raw),
        await client.post(url, content=b'{"kind": "ga", "area_id": "floor", "quantity": 1, '
                          b'"\\udfff": 1}', headers=raw),
    ]  # fmt: skip


async def test_strict_and_unencodable_bodies_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def prepare() -> None:
        await resources.redis.flushdb()
        await resources.db["inventory_units"].delete_many({})
        service = InventoryService(resources.db, resources.redis)
        await service.provision_event(seated_layout(areas={"floor": 3}, limit=4))

    fast, slow = await _both_ways(app, client, prepare, _odd_holds, monkeypatch)
    assert fast == slow
    assert [(s, b["code"]) for s, _, b in fast] == [(422, "validation_failed")] * 5
    unencodable = [e["type"] for _, _, b in fast[3:] for e in b["errors"]]
    assert unencodable == ["string_unicode", "string_unicode"]


async def test_gate_scans_answer_alike_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's lane sits inside the idempotency middleware, as checkout's: admitted,
    refused for each reason, unauthenticated or not gate staff, it answers as the route."""
    from tests.checkin.conftest import grant_steward  # noqa: PLC0415
    from tests.tickets.conftest import paid_order  # noqa: PLC0415
    from ticketsafe.tickets.service import TicketService  # noqa: PLC0415

    sales: list[Sale] = []

    async def prepare() -> None:
        sale = await open_sale(app, client, resources)
        await grant_steward(resources, sale.event_id)
        order = await paid_order(sale, "usr_a", {"kind": "ga", "area_id": "pista", "quantity": 2})
        await TicketService(resources.db, app.state.services.keyring).issue_for_order(order["id"])
        sales.append(sale)

    async def scans(app: FastAPI, client: httpx.AsyncClient) -> list[httpx.Response]:
        sale = sales[-1]
        mine = (await client.get("/me/tickets", headers=sale.buyer("usr_a"))).json()["items"]
        tickets = [t for t in mine if t["event_id"] == sale.event_id]  # each run its own
        live = [
            (await client.get(f"/me/tickets/{t['id']}/live-code", headers=sale.buyer("usr_a")))
            .json() for t in tickets
        ]  # fmt: skip
        url = f"/events/{sale.event_id}/checkin/scans"
        steward = sale.buyer("usr_steward")

        async def scan(code: str, headers: dict[str, str] = steward, gate: str = "N") -> Any:
            body = {"code": code, "gate": gate, "device_id": "dev-1"}
            return await client.post(url, json=body, headers=headers)

        return [
            await scan(live[0]["live_code"]),
            await scan(live[0]["live_code"], gate="S"),  # already used at N
            await scan(live[1]["code"]),  # the printed code
            await scan(live[1]["code"][:-6] + "AAAAAA"),  # forged
            await scan("hello"),
            await scan(live[0]["live_code"], headers=sale.buyer("usr_a")),  # not gate staff
            await client.post(url, json={"code": "x", "gate": "N", "device_id": "d"}),
            await client.post(url, json={"code": "x"}, headers=steward),  # invalid body
            await client.post("/events/evt_unknown/checkin/scans",
                              json={"code": "x", "gate": "N", "device_id": "d"}, headers=steward),
        ]  # fmt: skip

    fast, slow = await _both_ways(app, client, prepare, scans, monkeypatch)

    def steady(shapes: list[tuple[int, str, Any]]) -> list[tuple[int, str, Any]]:
        drop = {"ticket_id", "at", "used_at", "detail"}  # ids and times of each run's tickets
        return [(s, t, {k: v for k, v in b.items() if k not in drop}) for s, t, b in shapes]

    assert steady(fast) == steady(slow)
    assert [(s, b.get("code")) for s, _, b in fast] == [
        (200, None), (409, "already_used"), (200, None), (400, "not_ticketsafe_code"),
        (400, "not_ticketsafe_code"), (403, "not_gate_staff"), (401, "unauthenticated"),
        (422, "validation_failed"), (404, "event_not_found"),
    ]  # fmt: skip
    assert (fast[0][2]["kind"], fast[2][2]["kind"]) == ("live", "static")
