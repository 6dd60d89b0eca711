"""`ticketsafe rotate-keys` as a real process against the test stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.identity.conftest import signed_up
from ticketsafe.infra.settings import Settings

pytestmark = pytest.mark.slow


async def test_rotate_keys_command_adds_a_key_and_rewraps(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await signed_up(client, "ana@example.com", name="Ana Souza")
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
    done = subprocess.run(  # noqa: ASYNC221 - a short CLI run
        [sys.executable, "-m", "ticketsafe", "rotate-keys", "--new-key"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "added master key k2" in done.stdout
    assert "re-wrapped 1 data key(s) to k2; {'k2': 1}" in done.stdout
    ring = json.loads((settings.keys_dir / "pii-keyring.json").read_text())
    assert sorted(ring["keys"]) == ["k1", "k2"]
    me = await client.get("/me", headers=account.headers)
    assert me.json()["name"] == "Ana Souza"
