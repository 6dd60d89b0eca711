"""Crypto-shredding holds for backups: a backup carries no master key, and a person
erased after it cannot be read back from its restore once the master-key epoch that
wrapped their data key is destroyed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.identity.conftest import PASSWORD, signed_up
from tests.ops.backup.test_backup import KEY, wipe
from ticketsafe.identity.key_epochs import rotate_epochs
from ticketsafe.infra.crypto import aead, epochs
from ticketsafe.infra.crypto.keyring import UnknownKey, Wrapped, read_keyring_file
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault, SealedField
from ticketsafe.ops.backup.service import create_backup, read_manifest, restore_backup
from ticketsafe.ops.backup.snapshot import open_chunk
from ticketsafe.ops.backup.targets import LocalTarget

BOUND = 86_400


async def backup_plaintext(target: LocalTarget, backup_id: str) -> bytes:
    """Everything the backup holds, decrypted with the backup key."""
    manifest, data_key = await read_manifest(target, KEY, backup_id)
    out = bytearray()
    for dump in manifest.collections:
        for index, chunk in enumerate(dump.chunks):
            blob = target.read(backup_id, chunk.offset, chunk.length)
            docs = open_chunk(data_key, backup_id, dump.name, index, blob=blob, sha256=chunk.sha256)
            out += b"".join(docs)
    return bytes(out)


async def test_an_erased_person_does_not_come_back_from_a_backup_after_the_epoch_goes(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, settings: Settings,
    tmp_path: Path,
) -> None:  # fmt: skip
    ana = await signed_up(client, "ana@example.com", name="Ana Souza")
    key_file = settings.keys_dir / "pii-keyring.json"
    vault = PiiVault(resources.db, app.state.services.keyring)
    t0 = datetime.now(UTC)
    await rotate_epochs(vault, key_file, BOUND, t0)
    target = LocalTarget(tmp_path / "backups")
    manifest = await create_backup(resources.mongo, resources.db, target, KEY)

    # No master key inside, in any encoding the key file uses.
    plaintext = await backup_plaintext(target, manifest.backup_id)
    ring = read_keyring_file(key_file)
    for kid in ring.key_ids:
        raw = epochs_raw_key(key_file, kid)
        assert raw not in plaintext
        assert base64.urlsafe_b64encode(raw).rstrip(b"=") not in plaintext

    erased = await client.post("/me/erase", headers=ana.headers, json={"password": PASSWORD})
    assert erased.status_code == 204
    due = epochs.retire_after(BOUND)
    await rotate_epochs(vault, key_file, BOUND, t0 + due)
    done = await rotate_epochs(vault, key_file, BOUND, t0 + due + timedelta(seconds=epochs.GRACE_S))
    assert done.destroyed  # the epoch that wrapped Ana's data key is gone

    await wipe(resources)
    await restore_backup(resources.db, resources.redis, target, KEY, manifest.backup_id)
    key_doc = await resources.db["data_keys"].find_one({"_id": ana.user_id})
    user_doc = await resources.db["users"].find_one({"_id": ana.user_id})
    assert key_doc is not None  # the backup brought her sealed data back ...
    assert user_doc is not None
    remaining = read_keyring_file(key_file)
    aad = f"dk|{ana.user_id}|{key_doc['key_id']}".encode()
    with pytest.raises(UnknownKey):  # ... but nothing left opens it
        remaining.unwrap(Wrapped(key_doc["kek"], bytes(key_doc["wrapped"])), aad)
    for kid in remaining.key_ids:
        with pytest.raises(aead.DecryptionFailed):
            remaining.unwrap(Wrapped(kid, bytes(key_doc["wrapped"])), aad)
    name = SealedField.from_document(user_doc["pii"]["name"])
    assert b"Ana Souza" not in name.blob


def epochs_raw_key(path: Path, kid: str) -> bytes:
    text = str(json.loads(path.read_text())["keys"][kid])
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
