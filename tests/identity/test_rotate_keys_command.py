"""`ticketsafe rotate-keys` and `grant-admin` as real processes against the test stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.identity.conftest import Account, relogin, signed_up
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.keyfiles import load_or_create_secret
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


def _serve_state(settings: Settings, stores: EmbeddedStores, pids: dict[str, int]) -> None:
    """What `serve` (`make run`) leaves in its data dir: the embedded stores' URLs and
    processes, and its generated token key."""
    run_dir = settings.data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    state = {"mongo_url": stores.mongo_url, "redis_url": stores.redis_url, "pids": pids}
    (run_dir / "embedded.json").write_text(json.dumps(state))
    load_or_create_secret(settings.keys_dir / "auth.key")


def _ended_pid() -> int:
    """The pid of a process that has ended (as a killed `serve`'s stores have)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout)


def _key_file(settings: Settings) -> Path:
    return settings.keys_dir / "pii-keyring.json"


async def test_rotate_keys_reaches_the_stores_of_a_running_serve(
    client: httpx.AsyncClient, settings: Settings, stores: EmbeddedStores
) -> None:
    account = await signed_up(client, "ana@example.com", name="Ana Souza")
    _serve_state(settings, stores, {c.name: c.pid or 0 for c in stores.children})
    done = _cli_beside_serve(settings, "rotate-keys", "--new-key")
    assert done.returncode == 0, done.stderr
    assert "re-wrapped 1 data key(s) to k2; {'k2': 1}" in done.stdout
    assert sorted(json.loads(_key_file(settings).read_text())["keys"]) == ["k1", "k2"]
    me = await client.get("/me", headers=account.headers)
    assert me.json()["name"] == "Ana Souza"


async def test_without_a_running_serve_the_key_file_is_left_alone(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await signed_up(client, "ana@example.com")
    before = _key_file(settings).read_bytes()
    done = _cli_beside_serve(settings, "rotate-keys", "--new-key")
    assert done.returncode == 2
    assert "make run" in done.stderr
    assert _key_file(settings).read_bytes() == before


async def test_the_state_of_a_killed_serve_is_not_used(
    client: httpx.AsyncClient, settings: Settings, stores: EmbeddedStores
) -> None:
    await signed_up(client, "ana@example.com")
    _serve_state(settings, stores, {"mongo": _ended_pid()})
    before = _key_file(settings).read_bytes()
    done = _cli_beside_serve(settings, "rotate-keys", "--new-key")
    assert done.returncode == 2
    assert _key_file(settings).read_bytes() == before


async def test_an_unreachable_mongodb_leaves_the_key_file_alone(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await signed_up(client, "ana@example.com")
    before = _key_file(settings).read_bytes()
    nobody = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=500"
    done = _cli(settings, "rotate-keys", "--new-key", mongo_url=nobody)
    assert done.returncode == 1
    assert "nothing was changed" in done.stderr
    assert _key_file(settings).read_bytes() == before


def _cli_beside_serve(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as run after `make run`: only the data dir (and our test database)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_DATA_DIR": str(settings.data_dir),
    }
    return _run(env, args)


def _cli(
    settings: Settings, *args: str, mongo_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TICKETSAFE_")},
        "TICKETSAFE_MONGO_URL": mongo_url or settings.mongo_url.get_secret_value(),
        "TICKETSAFE_REDIS_URL": settings.redis_url.get_secret_value(),
        "TICKETSAFE_MONGO_DATABASE": settings.mongo_database,
        "TICKETSAFE_AUTH_SECRET": "x" * 40,
        "TICKETSAFE_DATA_DIR": str(settings.data_dir),
    }
    return _run(env, args)


def _run(env: dict[str, str], args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ticketsafe", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
