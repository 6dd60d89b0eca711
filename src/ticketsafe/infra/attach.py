"""Operator commands (`migrate`, `rotate-keys`, `grant-admin`) beside a running
deployment: they reach the stores of a `serve` started on the same data dir (`make run`)
without being told their URLs."""

from __future__ import annotations

from pydantic import SecretStr

from ticketsafe.infra.embedded import running_store_urls
from ticketsafe.infra.settings import Settings


def attached_to_serve(settings: Settings) -> Settings:
    """`settings` with what a `serve` on `settings.data_dir` uses filled in where unset:
    the URLs of the embedded stores it runs (from `run/embedded.json`) and its generated
    token key (`keys/auth.key`). Explicit settings always win; nothing is created."""
    update: dict[str, object] = {}
    if settings.mongo_url is None or settings.redis_url is None:
        mongo_url, redis_url = running_store_urls(settings.data_dir)
        if settings.mongo_url is None and mongo_url:
            update["mongo_url"] = SecretStr(mongo_url)
        if settings.redis_url is None and redis_url:
            update["redis_url"] = SecretStr(redis_url)
    auth_key = settings.keys_dir / "auth.key"
    if settings.auth_secret is None and auth_key.is_file():
        update["auth_secret"] = SecretStr(auth_key.read_text().strip())
    return settings.model_copy(update=update) if update else settings
