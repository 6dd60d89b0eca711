from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from ticketsafe.infra.crypto import aead
from ticketsafe.infra.crypto.blind_index import BlindIndex
from ticketsafe.infra.crypto.keyring import (
    UnknownKey,
    add_key_to_file,
    load_keyring,
    read_keyring_file,
)
from ticketsafe.infra.settings import Settings


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_sealed_value_opens_with_same_key_and_aad() -> None:
    key = aead.new_key()
    assert aead.open_sealed(key, aead.seal(key, b"Ana", b"pii|u1|name"), b"pii|u1|name") == b"Ana"


def test_sealed_value_refuses_other_associated_data() -> None:
    key = aead.new_key()
    blob = aead.seal(key, b"Ana", b"pii|u1|name")
    with pytest.raises(aead.DecryptionFailed):
        aead.open_sealed(key, blob, b"pii|u2|name")


def test_same_plaintext_seals_differently_each_time() -> None:
    key = aead.new_key()
    assert aead.seal(key, b"x", b"") != aead.seal(key, b"x", b"")


def test_blind_index_ignores_case_and_spaces_but_depends_on_key() -> None:
    one, two = BlindIndex(b"a" * 32), BlindIndex(b"b" * 32)
    assert one.email(" Ana@Example.com ") == one.email("ana@example.com")
    assert one.email("ana@example.com") != two.email("ana@example.com")


def test_embedded_key_file_is_created_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    ring = load_keyring(settings)
    path = tmp_path / "keys" / "pii-keyring.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ring.current_id == "k1"


def test_key_added_to_file_becomes_current_and_old_stays_readable(tmp_path: Path) -> None:
    ring = load_keyring(Settings(data_dir=tmp_path))
    wrapped = ring.wrap(b"k" * 32, b"aad")
    new_id = add_key_to_file(tmp_path / "keys" / "pii-keyring.json")
    fresh = read_keyring_file(tmp_path / "keys" / "pii-keyring.json")
    assert fresh.current_id == new_id != "k1"
    assert fresh.unwrap(wrapped, b"aad") == b"k" * 32


def test_running_ring_picks_up_a_key_added_to_its_file(tmp_path: Path) -> None:
    running = load_keyring(Settings(data_dir=tmp_path))
    path = tmp_path / "keys" / "pii-keyring.json"
    add_key_to_file(path)
    wrapped_by_new = read_keyring_file(path).wrap(b"d" * 32, b"aad")
    assert running.unwrap(wrapped_by_new, b"aad") == b"d" * 32


def test_keys_from_settings_last_is_current(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        pii_keys=SecretStr(f"old:{_b64(b'1' * 32)},new:{_b64(b'2' * 32)}"),
        pii_blind_index_key=SecretStr(_b64(b"3" * 32)),
    )
    ring = load_keyring(settings)
    assert ring.current_id == "new"
    assert not (tmp_path / "keys").exists()


def test_unknown_key_id_is_refused(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        pii_keys=SecretStr(f"k1:{_b64(b'1' * 32)}"),
        pii_blind_index_key=SecretStr(_b64(b"3" * 32)),
    )
    ring = load_keyring(settings)
    other = Settings(
        data_dir=tmp_path,
        pii_keys=SecretStr(f"k9:{_b64(b'9' * 32)}"),
        pii_blind_index_key=SecretStr(_b64(b"3" * 32)),
    )
    with pytest.raises(UnknownKey):
        ring.unwrap(load_keyring(other).wrap(b"x" * 32, b""), b"")
