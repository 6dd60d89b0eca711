"""Outbound webhooks: signed, retried with back-off, logged; tenants isolated; SSRF refused.
The organizer's server is a third party, so it is faked at the transport layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.members import add_member
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.errors import BusinessRuleViolation
from ticketsafe.infra.jobs import JobBuffer, JobContext
from ticketsafe.infra.redrive import redrive
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER, verify
from ticketsafe.webhooks import repository, service
from ticketsafe.webhooks.models import Attempt, DeliveryStatus, Subscription, SubscriptionCreate
from ticketsafe.webhooks.targets import check_url


class Receiver:
    """The organizer's endpoint: answers with the queued status codes, records requests."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhooks_allow_private_targets": True})


@pytest.fixture
async def worker_ctx(
    settings: Settings, resources: Resources, receiver: Receiver
) -> AsyncIterator[JobContext]:
    res = Resources.open(settings, http_transport=httpx.MockTransport(receiver))
    yield JobContext(res.db, res.redis, res.queue, settings, res.http)
    await res.close()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver([503, 500, 200])


async def organizer(app: FastAPI, org: str) -> dict[str, str]:
    """An organizer of `org` alone (one user per organization)."""
    await add_member(app.state.resources, org, f"usr_{org}")
    token = app.state.services.token_codec.issue(Principal(f"usr_{org}"))
    return {"authorization": f"Bearer {token}"}


async def test_delivery_is_signed_retried_and_logged(
    resources: Resources, worker_ctx: JobContext, receiver: Receiver
) -> None:
    sub = await service.subscribe(
        resources.db,
        "org_1",
        SubscriptionCreate(url="https://hooks.example/ts", events=["order.paid"]),
        allow_private=True,
    )
    jobs = JobBuffer()
    assert await service.publish(resources.db, jobs, "org_1", "order.paid", {"order_id": "o1"}) == 1
    assert await service.publish(resources.db, jobs, "org_1", "order.created", {}) == 0
    ((job, _),) = jobs.jobs
    args = job.args
    for _ in range(2):
        with pytest.raises(service.DeliveryFailed):
            await service.deliver(worker_ctx, **args)
    await service.deliver(worker_ctx, **args)
    await service.deliver(worker_ctx, **args)  # a duplicate delivery of the job: no resend
    assert len(receiver.requests) == 3
    request = receiver.requests[-1]
    verify(sub.secret, request.content, request.headers[SIGNATURE_HEADER])
    assert orjson.loads(request.content)["data"] == {"order_id": "o1"}
    (delivery,) = (await repository.deliveries_of(resources.db, "org_1", sub.id, 10)).items
    assert delivery.status is DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.attempts] == [503, 500, 200]


@pytest.mark.parametrize("receiver", [Receiver([500] * 10)])
async def test_gives_up_after_the_last_attempt(
    resources: Resources, worker_ctx: JobContext, receiver: Receiver
) -> None:
    sub = await service.subscribe(
        resources.db, "org_1",
        SubscriptionCreate(url="https://hooks.example/x", events=["order.paid"]),
        allow_private=True,
    )  # fmt: skip
    jobs = JobBuffer()
    await service.publish(resources.db, jobs, "org_1", "order.paid", {})
    ((job, _),) = jobs.jobs
    args = job.args
    for _ in range(worker_ctx.queue.max_deliveries - 1):
        with pytest.raises(service.DeliveryFailed):
            await service.deliver(worker_ctx, **args)
    await service.deliver(worker_ctx, **args)  # the last attempt records failure, no raise
    (delivery,) = (await repository.deliveries_of(resources.db, "org_1", sub.id, 10)).items
    assert delivery.status is DeliveryStatus.FAILED
    assert len(delivery.attempts) == worker_ctx.queue.max_deliveries


@pytest.mark.parametrize("receiver", [Receiver([200])])
async def test_a_delivery_whose_job_was_lost_is_redriven_once(
    resources: Resources, worker_ctx: JobContext, receiver: Receiver
) -> None:
    """Published (the delivery written) but its job lost with the api or Redis: the
    re-drive gives it a job once it is half an hour old; given up ones stay as they are."""
    await resources.queue.ensure_group()
    sub = await service.subscribe(
        resources.db, "org_1",
        SubscriptionCreate(
            url="https://hooks.example/lost", events=["order.paid", "order.refunded"]
        ),
        allow_private=True,
    )  # fmt: skip
    await service.publish(resources.db, JobBuffer(), "org_1", "order.paid", {"order_id": "o1"})
    failed = JobBuffer()
    await service.publish(resources.db, failed, "org_1", "order.refunded", {})
    ((job, _),) = failed.jobs
    await repository.record_attempt(
        resources.db, job.args["delivery_id"],
        Attempt(at=datetime.now(UTC), status_code=500, error="answered 500", duration_ms=1),
        DeliveryStatus.FAILED,
    )  # fmt: skip
    later = datetime.now(UTC) + service.DELIVERIES_OUTBOX.stale_after + timedelta(seconds=1)
    outbox = service.DELIVERIES_OUTBOX
    assert await redrive(resources.db, resources.queue, outbox, later) == 1
    [redriven] = await resources.queue.read("test", 10, 0)
    assert redriven.name == service.DELIVER_JOB
    await service.deliver(worker_ctx, **redriven.args)
    assert orjson.loads(receiver.requests[0].content)["data"] == {"order_id": "o1"}
    deliveries = (await repository.deliveries_of(resources.db, "org_1", sub.id, 10)).items
    assert sorted(d.status.value for d in deliveries) == ["delivered", "failed"]
    assert await redrive(resources.db, resources.queue, outbox, later) == 0


async def test_endpoints_are_tenant_isolated(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = {"url": "https://hooks.example/a", "events": ["order.paid"]}
    created = await client.post(
        "/orgs/org_a/webhooks", json=body, headers=await organizer(app, "org_a")
    )
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    sub_id = created.json()["id"]
    other = await organizer(app, "org_b")
    assert (await client.get("/orgs/org_a/webhooks", headers=other)).status_code == 404
    assert (await client.delete(f"/orgs/org_a/webhooks/{sub_id}", headers=other)).status_code == 404
    log = await client.get(f"/orgs/org_a/webhooks/{sub_id}/deliveries", headers=other)
    assert log.status_code == 404
    listed = await client.get("/orgs/org_a/webhooks", headers=await organizer(app, "org_a"))
    assert [s["id"] for s in listed.json()] == [sub_id]
    assert "secret" not in listed.json()[0]
    buyer = {"authorization": f"Bearer {app.state.services.token_codec.issue(Principal('usr_b'))}"}
    assert (await client.get("/orgs/org_a/webhooks", headers=buyer)).status_code == 403


async def test_another_organizations_subscription_is_not_found_under_ones_own(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    """Nested ids must belong to the path's parent: org B's organizer, on org B's own
    path, asking for org A's subscription gets 404, not an empty log."""
    body = {"url": "https://hooks.example/a", "events": ["order.paid"]}
    org_a = await organizer(app, "org_a")
    sub_id = (await client.post("/orgs/org_a/webhooks", json=body, headers=org_a)).json()["id"]
    await service.publish(resources.db, JobBuffer(), "org_a", "order.paid", {"order_id": "o1"})
    own_path = f"/orgs/org_b/webhooks/{sub_id}/deliveries"
    answer = await client.get(own_path, headers=await organizer(app, "org_b"))
    assert (answer.status_code, answer.json()["code"]) == (404, "webhook_not_found")
    mine = await client.get(f"/orgs/org_a/webhooks/{sub_id}/deliveries", headers=org_a)
    assert (mine.status_code, len(mine.json()["items"])) == (200, 1)


async def test_the_delivery_log_pages_with_an_opaque_cursor(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    body = {"url": "https://hooks.example/a", "events": ["order.paid"]}
    headers = await organizer(app, "org_a")
    sub_id = (await client.post("/orgs/org_a/webhooks", json=body, headers=headers)).json()["id"]
    for n in range(5):
        await service.publish(resources.db, JobBuffer(), "org_a", "order.paid", {"n": n})
    url = f"/orgs/org_a/webhooks/{sub_id}/deliveries"
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(url, params=params, headers=headers)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert len(seen) == len(set(seen)) == 5
    garbled = await client.get(url, params={"cursor": "!!"}, headers=headers)
    assert (garbled.status_code, garbled.json()["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example/a", "https://127.0.0.1/x", "https://10.1.2.3/x", "https://localhost/x",
     "https://[::1]/x", "https://169.254.169.254/latest"],
)  # fmt: skip
async def test_private_or_plain_targets_refused(url: str) -> None:
    with pytest.raises(BusinessRuleViolation) as info:
        check_url(url, allow_private=False)
    expected = "webhook_url_invalid" if url.startswith("http:") else "webhook_target_private"
    assert info.value.instance_code == expected


async def test_subscriptions_are_remembered_briefly_and_changes_here_apply_at_once(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = resources.db
    now = datetime.now(UTC)

    def sub(i: int) -> Subscription:
        return Subscription(id=f"whs_{i}", org_id="org_c", url="https://hooks.example/x",
                            events=["order.paid"], description="", created_at=now)  # fmt: skip

    assert await repository.subscribed_to(db, "org_c", "order.paid") == []
    await repository.insert_subscription(db, sub(1), "secret-1")  # through this process
    assert [s.id for s in await repository.subscribed_to(db, "org_c", "order.paid")] == ["whs_1"]
    assert await repository.subscribed_to(db, "org_c", "order.created") == []
    # Another API instance adds one: seen once this process's copy is older than _FRESH_S.
    other = sub(2).model_dump(exclude={"id"}) | {"_id": "whs_2", "secret": "s"}
    await db[repository.SUBSCRIPTIONS].insert_one(other)
    assert len(await repository.subscribed_to(db, "org_c", "order.paid")) == 1
    monkeypatch.setattr(repository, "_FRESH_S", 0.0)
    assert len(await repository.subscribed_to(db, "org_c", "order.paid")) == 2
    monkeypatch.setattr(repository, "_FRESH_S", 60.0)
    assert await repository.delete_subscription(db, "org_c", "whs_1")
    assert [s.id for s in await repository.subscribed_to(db, "org_c", "order.paid")] == ["whs_2"]
