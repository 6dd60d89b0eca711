"""The process's shared clients, built in the app lifespan (never at import time)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx

from ticketsafe.infra.jobs import JobQueue
from ticketsafe.infra.mongodb import Database, MongoClient, create_mongo_client
from ticketsafe.infra.outbound_http import OutboundTransport
from ticketsafe.infra.redisdb import RedisClient, create_redis_client
from ticketsafe.infra.settings import Settings


class MissingConfiguration(RuntimeError):
    """`api`/`worker` need store URLs and secrets; only `serve` provides embedded ones."""


@dataclass(frozen=True)
class Resources:
    settings: Settings
    mongo: MongoClient
    db: Database
    redis: RedisClient
    queue: JobQueue
    http: httpx.AsyncClient  # outbound calls: webhooks to organizers and from the sandbox PSP

    @classmethod
    def open(
        cls, settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None
    ) -> Resources:
        missing = [
            f"TICKETSAFE_{name.upper()}"
            for name in ("mongo_url", "redis_url", "auth_secret")
            if getattr(settings, name) is None
        ]
        if missing or settings.mongo_url is None or settings.redis_url is None:
            raise MissingConfiguration(
                f"{', '.join(missing)} must be set "
                "(or use `ticketsafe serve`, which provides embedded stores and keys)"
            )
        timed = settings.metrics_enabled
        mongo = create_mongo_client(
            settings.mongo_url.get_secret_value(), app_name=settings.instance_name, timed=timed
        )
        redis = create_redis_client(
            settings.redis_url.get_secret_value(), cluster=settings.redis_cluster, timed=timed
        )
        queue = JobQueue(
            redis,
            visibility_timeout_ms=settings.job_visibility_timeout_ms,
            max_deliveries=settings.job_max_deliveries,
        )
        http = httpx.AsyncClient(
            # Keep as many connections alive as the worker runs jobs at once: past that,
            # each webhook delivery would pay a new TCP connect.
            transport=http_transport
            or OutboundTransport(
                ssl_context=_outbound_tls(settings),
                max_idle_per_origin=settings.worker_concurrency,
            ),
            timeout=httpx.Timeout(10.0, connect=5.0),
            follow_redirects=False,
        )
        return cls(settings, mongo, mongo[settings.mongo_database], redis, queue, http)

    async def close(self) -> None:
        await self.http.aclose()
        await self.redis.aclose()
        await self.mongo.close()


def _outbound_tls(settings: Settings) -> ssl.SSLContext:
    """System CAs, plus our local CA when it exists (so `serve` can call itself)."""
    context = ssl.create_default_context()
    local_ca = settings.tls_dir / "ca.pem"
    if local_ca.exists():
        context.load_verify_locations(cafile=str(local_ca))
    return context
