"""Crypto-shredding that holds against copies (issue 24, item 11): a copy of the data
taken before an erasure (the embedded store's raw files, write-ahead log included, or a
dump of the collections) cannot be read once the master-key epoch it was wrapped under is
destroyed, while live data, re-wrapped to the new epoch first, still reads."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.identity.conftest import PASSWORD, signed_up
from ticketsafe.identity import key_epochs
from ticketsafe.identity.key_epochs import rotate_epochs
from ticketsafe.infra.crypto import aead, epochs
from ticketsafe.infra.crypto.keyring import (
    KeyRing,
    UnknownKey,
    Wrapped,
    add_key_to_file,
    read_keyring_file,
)
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault, SealedField
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import build_registry

BOUND = 86_400
DUE = epochs.retire_after(BOUND)
GRACE = timedelta(seconds=epochs.GRACE_S)


def _key_file(settings: Settings) -> Path:
    return settings.keys_dir / "pii-keyring.json"


def _open_from_copy(ring: KeyRing, key_doc: dict[str, Any], user_doc: dict[str, Any]) -> str:
    """What an attacker holding the copy and the key ring on disk would do."""
    owner = str(key_doc["_id"])
    aad = f"dk|{owner}|{key_doc['key_id']}".encode()
    data_key = ring.unwrap(Wrapped(key_doc["kek"], bytes(key_doc["wrapped"])), aad)
    name = SealedField.from_document(user_doc["pii"]["name"])
    return aead.open_sealed(data_key, name.blob, f"pii|{owner}|name".encode()).decode()


def _files_hold(folder: Path, needle: bytes) -> bool:
    return any(needle in p.read_bytes() for p in folder.rglob("*") if p.is_file())


async def _copy_raw_files(stores: EmbeddedStores, into: Path, needle: bytes) -> Path:
    """Copy the store's files (as a backup or a stolen disk would) once they hold `needle`."""
    source = stores.data_dir / "mongodb"
    for _ in range(50):
        shutil.rmtree(into, ignore_errors=True)
        shutil.copytree(source, into, ignore=shutil.ignore_patterns("*.lock"))
        if _files_hold(into, needle):
            return into
        await asyncio.sleep(0.1)
    raise AssertionError("the store's files never held the wrapped data key")


async def test_a_copy_taken_before_an_erasure_cannot_be_read_after_the_epoch_rotation(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings,
    stores: EmbeddedStores, tmp_path: Path,
) -> None:  # fmt: skip
    ana = await signed_up(client, "ana@example.com", name="Ana Souza")
    bia = await signed_up(client, "bia@example.com", name="Bia Lima")
    t0 = datetime.now(UTC)
    path = _key_file(settings)
    first = await rotate_epochs(PiiVault(resources.db, app.state.services.keyring), path, BOUND, t0)
    assert (first.began, first.destroyed) == (None, [])  # the file's key dated, kept
    # The copy: a dump of the collections and the raw files, write-ahead log included.
    dumped_key = await resources.db["data_keys"].find_one({"_id": ana.user_id})
    dumped_user = await resources.db["users"].find_one({"_id": ana.user_id})
    assert dumped_key is not None
    assert dumped_user is not None
    wrapped = bytes(dumped_key["wrapped"])
    raw_copy = await _copy_raw_files(stores, tmp_path / "copy", wrapped)
    assert _open_from_copy(read_keyring_file(path), dumped_key, dumped_user) == "Ana Souza"

    erased = await client.post("/me/erase", headers=ana.headers, json={"password": PASSWORD})
    assert erased.status_code == 204
    # Shredding alone does not reach the copy: the key ring on disk still opens it.
    assert _open_from_copy(read_keyring_file(path), dumped_key, dumped_user) == "Ana Souza"

    vault = PiiVault(resources.db, app.state.services.keyring)
    began = await rotate_epochs(vault, path, BOUND, t0 + DUE)
    assert began.began is not None
    assert began.destroyed == []  # retired, not yet destroyed: still in its grace
    done = await rotate_epochs(vault, path, BOUND, t0 + DUE + GRACE)
    assert done.destroyed == [dumped_key["kek"]]

    remaining = read_keyring_file(path)
    assert remaining.key_ids == [began.began]
    with pytest.raises(UnknownKey):
        _open_from_copy(remaining, dumped_key, dumped_user)
    # The raw copy holds the wrapped key, and no key left on disk opens it.
    assert _files_hold(raw_copy, wrapped)
    aad = f"dk|{ana.user_id}|{dumped_key['key_id']}".encode()
    for kid in remaining.key_ids:
        with pytest.raises(aead.DecryptionFailed):
            remaining.unwrap(Wrapped(kid, wrapped), aad)
    # Live data still reads, through the API that loaded the ring before the rotation,
    # and that API has forgotten the destroyed key.
    me = await client.get("/me", headers=bia.headers)
    assert (me.status_code, me.json()["name"]) == (200, "Bia Lima")
    assert app.state.services.keyring.key_ids == [began.began]
    assert await vault.count_by_master_key() == {began.began: 1}


async def _one_person_one_dated_epoch(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings
) -> tuple[Path, datetime, PiiVault, str]:
    """A person signed up, and a first pass that dated the key file's only epoch at t0."""
    path = _key_file(settings)
    await signed_up(client, "ana@example.com")
    t0 = datetime.now(UTC)
    vault = PiiVault(resources.db, app.state.services.keyring)
    await rotate_epochs(vault, path, BOUND, t0)
    return path, t0, vault, read_keyring_file(path).current_id


async def test_an_epoch_is_destroyed_only_with_no_live_data_key_left_under_it(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings
) -> None:
    path, t0, vault, old = await _one_person_one_dated_epoch(client, app, resources, settings)
    began = await rotate_epochs(vault, path, BOUND, t0 + DUE)
    # A process that had not yet seen the new epoch wraps a data key under the old one,
    # and it lands after the pass that began the epoch re-wrapped everything.
    stale = KeyRing({old: _raw_key(path, old)}, old, b"x" * 32)  # as that process held it
    late = await PiiVault(resources.db, stale).seal("usr_late", {"name": "Caio"})
    assert await vault.count_under(old) == 1
    early = await rotate_epochs(vault, path, BOUND, t0 + DUE + GRACE - timedelta(seconds=1))
    assert early.destroyed == []  # within the grace: kept whatever it holds
    done = await rotate_epochs(vault, path, BOUND, t0 + DUE + GRACE)
    assert done.destroyed == [old]
    assert began.began in read_keyring_file(path).key_ids
    # The straggler was re-wrapped before the destruction: it still opens.
    assert await PiiVault(resources.db, read_keyring_file(path)).open("usr_late", late) == {
        "name": "Caio"
    }


async def test_a_retired_epoch_with_data_keys_left_is_kept(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Verify, then destroy: if the re-wrap left anything (a store refusing writes), the
    retired key stays, and the next pass destroys it once the re-wrap went through."""
    path, t0, vault, old = await _one_person_one_dated_epoch(client, app, resources, settings)
    real_rewrap = PiiVault.rewrap_all

    async def rewrap_refused(self: PiiVault, batch: int = 500) -> int:
        return 0

    monkeypatch.setattr(PiiVault, "rewrap_all", rewrap_refused)
    await rotate_epochs(vault, path, BOUND, t0 + DUE)
    kept = await rotate_epochs(vault, path, BOUND, t0 + DUE + GRACE)
    assert (kept.destroyed, kept.kept) == ([], {old: 1})
    assert old in read_keyring_file(path).key_ids
    monkeypatch.setattr(PiiVault, "rewrap_all", real_rewrap)
    done = await rotate_epochs(vault, path, BOUND, t0 + DUE + GRACE)
    assert done.destroyed == [old]


async def test_a_key_file_from_before_epochs_still_works(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings
) -> None:
    """The format stays compatible: keys without epoch entries (an old file, or one added
    by `rotate-keys --new-key`) are dated when first seen, then age like any other."""
    path = _key_file(settings)
    account = await signed_up(client, "ana@example.com", name="Ana Souza")
    added = add_key_to_file(path)
    t0 = datetime.now(UTC)
    vault = PiiVault(resources.db, app.state.services.keyring)
    first = await rotate_epochs(vault, path, BOUND, t0)
    assert (first.began, first.rewrapped, first.destroyed) == (None, 1, [])
    body = json.loads(path.read_text())
    assert set(body["epochs"]) == {"k1", added}
    assert body["epochs"]["k1"]["retired_at"] is not None
    done = await rotate_epochs(vault, path, BOUND, t0 + GRACE)
    assert done.destroyed == ["k1"]
    assert json.loads(path.read_text())["destroyed"].keys() == {"k1"}
    me = await client.get("/me", headers=account.headers)
    assert me.json()["name"] == "Ana Souza"


async def test_the_worker_rotates_epochs_under_a_lease(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings
) -> None:
    path = _key_file(settings)
    await signed_up(client, "ana@example.com")
    body = json.loads(path.read_text())
    long_ago = (datetime.now(UTC) - timedelta(seconds=BOUND)).isoformat()
    body["epochs"] = {"k1": {"created_at": long_ago, "retired_at": None}}
    path.write_text(json.dumps(body))
    (task,) = key_epochs.periodic_tasks(app.state.services.vault)
    assert task.name == "identity.key_epochs"
    worker = Worker(
        resources, build_registry(Services.build(resources)), periodic=[task], block_ms=20
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if read_keyring_file(path).current_id != "k1":
                break
    finally:
        stop.set()
        await running
    ring = read_keyring_file(path)
    assert ring.current_id != "k1"
    assert await PiiVault(resources.db, ring).count_by_master_key() == {ring.current_id: 1}


def test_the_bound_leaves_room_for_every_step() -> None:
    for bound in (epochs.MIN_BOUND_S, 86_400, 7 * 86_400):
        steps = epochs.GRACE_S + 2 * epochs.CHECK_S + epochs.REWRAP_BUDGET_S
        assert epochs.retire_after(bound).total_seconds() + steps == bound
        assert epochs.retire_after(bound).total_seconds() >= epochs.CHECK_S
    with pytest.raises(ValueError, match="at least"):
        epochs.retire_after(epochs.MIN_BOUND_S - 1)


def _raw_key(path: Path, kid: str) -> bytes:
    text = str(json.loads(path.read_text())["keys"][kid])
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
