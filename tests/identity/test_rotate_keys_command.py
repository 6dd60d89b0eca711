"""`ticketsafe rotate-keys` and `grant-admin` as real processes against the test stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.identity.conftest import Account, relogin, signed_up
from ticketsafe.infra.settings import Settings

pytestmark = pytest.mark.slow


async def test_rotate_keys_command_adds_a_key_and_rewraps(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await signed_up(client, "ana@example.com", name="Ana Souza")
    done = _cli(settings, "rotate-keys", "--new-key")
    assert done.returncode == 0, done.stderr
    assert "added master key k2" in done.stdout
    assert "re-wrapped 1 data key(s) to k2; {'k2': 1}" in done.stdout
    ring = json.loads((settings.keys_dir / "pii-keyring.json").read_text())
    assert sorted(ring["keys"]) == ["k1", "k2"]
    me = await client.get("/me", headers=account.headers)
    assert me.json()["name"] == "Ana Souza"


async def test_grant_admin_command_makes_an_admin(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await signed_up(client, "boss@example.com")
    done = _cli(settings, "grant-admin", "BOSS@example.com")
    assert done.returncode == 0, done.stderr
    admin = await relogin(client, Account("", "boss@example.com", "", ""))
    me = await client.get("/me", headers=admin.headers)
    assert "admin" in me.json()["roles"]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": settings.mongo_url.get_secret_value(),
        "TICKETSAFE_REDIS_URL": settings.redis_url.get_secret_value(),
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_AUTH_SECRET": "x" * 40,
        "TICKETSAFE_DATA_DIR": str(settings.data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "ticketsafe", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
