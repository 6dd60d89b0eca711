from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from ticketsafe.app import create_app
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.deps import JobsDep, RedisDep
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readyz_when_stores_answer(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"mongodb": "ok", "redis": "ok"}}


async def test_readyz_names_the_store_that_is_down(
    settings: Settings, resources: Resources
) -> None:
    # The app's migrations need MongoDB at start; Redis at a port where nothing listens.
    dead_redis = settings.model_copy(
        update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0")}
    )
    app = create_app(dead_redis)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["code"] == "service_busy"
    assert body["checks"]["mongodb"] == "ok"
    assert body["checks"]["redis"].startswith("error:")
    assert r.headers["retry-after"] == "2"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/no/such/thing")
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'ticketsafe_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/thing" not in text


async def test_a_store_outage_answers_503_not_500(settings: Settings, resources: Resources) -> None:
    dead_redis = settings.model_copy(
        update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0")}
    )
    app = create_app(dead_redis)

    @app.get("/_test/uses-redis")
    async def uses_redis(redis: RedisDep) -> dict[str, bool]:
        await redis.get("x")
        return {"ok": True}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/_test/uses-redis")
    assert r.status_code == 503
    assert r.json()["code"] == "service_busy"
    assert r.headers["retry-after"] == "2"


async def test_jobs_that_cannot_be_queued_after_the_answer_are_logged(
    settings: Settings, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    """Deferred jobs are sent after the answer: with Redis gone by then the answer
    stands and the lost jobs are named in the log (not a 500 that never reached anyone)."""
    dead_redis = settings.model_copy(
        update={"redis_url": SecretStr(f"redis://127.0.0.1:{free_port()}/0")}
    )
    app = create_app(dead_redis)

    @app.get("/_test/defers")
    async def defers(jobs: JobsDep) -> dict[str, bool]:
        jobs.defer("test.after", {"n": 1})
        return {"ok": True}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/_test/defers")
    assert (r.status_code, r.json()) == (200, {"ok": True})
    assert "jobs not queued (ConnectionError): test.after" in caplog.text
