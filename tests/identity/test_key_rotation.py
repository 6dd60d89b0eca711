from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.identity.conftest import signed_up
from ticketsafe.infra.crypto.keyring import add_key_to_file, read_keyring_file
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault


async def test_rotation_rewraps_every_data_key_to_the_new_master_key(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings
) -> None:
    for n in range(3):
        await signed_up(client, f"user{n}@example.com")
    path = settings.keys_dir / "pii-keyring.json"
    new_id = add_key_to_file(path)
    vault = PiiVault(resources.db, read_keyring_file(path))
    assert await vault.rewrap_all() == 3
    assert await vault.count_by_master_key() == {new_id: 3}


async def test_running_api_reads_data_rewrapped_under_a_key_it_never_loaded(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """No downtime: instances started before the rotation keep reading."""
    account = await signed_up(client, "ana@example.com", name="Ana Souza")
    path = settings.keys_dir / "pii-keyring.json"
    add_key_to_file(path)
    await PiiVault(resources.db, read_keyring_file(path)).rewrap_all()
    me = await client.get("/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["name"] == "Ana Souza"


async def test_running_api_wraps_new_data_keys_under_a_key_added_to_its_file(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    path = settings.keys_dir / "pii-keyring.json"
    await signed_up(client, "first@example.com")
    new_id = add_key_to_file(path)
    await signed_up(client, "second@example.com")  # the running API re-read its key file
    vault = PiiVault(resources.db, read_keyring_file(path))
    assert await vault.count_by_master_key() == {"k1": 1, new_id: 1}


async def test_rotation_again_finds_nothing_to_move(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await signed_up(client, "ana@example.com")
    path = settings.keys_dir / "pii-keyring.json"
    add_key_to_file(path)
    vault = PiiVault(resources.db, read_keyring_file(path))
    await vault.rewrap_all()
    assert await vault.rewrap_all() == 0
