"""The process's shared clients, built in the app lifespan (never at import time)."""

from __future__ import annotations

from dataclasses import dataclass

from ticketsafe.infra.jobs import JobQueue
from ticketsafe.infra.mongodb import Database, MongoClient, create_mongo_client
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

    @classmethod
    def open(cls, settings: Settings) -> Resources:
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
        mongo = create_mongo_client(
            settings.mongo_url.get_secret_value(), app_name=settings.instance_name
        )
        redis = create_redis_client(settings.redis_url.get_secret_value())
        queue = JobQueue(
            redis,
            visibility_timeout_ms=settings.job_visibility_timeout_ms,
            max_deliveries=settings.job_max_deliveries,
        )
        return cls(settings, mongo, mongo[settings.mongo_database], redis, queue)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.mongo.close()
