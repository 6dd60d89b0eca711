"""Infra fixtures: a real 3-node Redis Cluster (started once per session, only by the
tests that ask for it) and the stores opened on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from tests.conftest import fresh_resources
from tests.redis_cluster import LocalRedisCluster
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedisCluster]:
    cluster = LocalRedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_settings(settings: Settings, redis_cluster: LocalRedisCluster) -> Settings:
    """The test's settings, with Redis on the cluster (MongoDB as usual)."""
    return settings.model_copy(
        update={"redis_url": SecretStr(redis_cluster.url), "redis_cluster": True}
    )


@pytest.fixture
async def cluster_resources(cluster_settings: Settings) -> AsyncIterator[Resources]:
    async with fresh_resources(cluster_settings) as res:  # FLUSHDB: on every primary
        yield res
