"""The operator's commands, end to end against the session's real stores."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketsafe.cli import cli
from ticketsafe.infra.embedded import EmbeddedStores


@pytest.fixture
def env(stores: EmbeddedStores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert stores.mongo_url
    assert stores.redis_url
    monkeypatch.setenv("TICKETSAFE_MONGO_URL", stores.mongo_url)
    monkeypatch.setenv("TICKETSAFE_REDIS_URL", stores.redis_url)
    monkeypatch.setenv("TICKETSAFE_MONGO_DATABASE", f"test_cli_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("TICKETSAFE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TICKETSAFE_AUTH_SECRET", "test-secret-" + "x" * 40)
    monkeypatch.setenv("TICKETSAFE_BACKUP_TARGET", str(tmp_path / "backups"))
    return tmp_path / "backups"


def test_create_list_verify_prune_and_a_clear_error(env: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["backup", "create"])
    assert created.exit_code == 0, created.output
    backup_id = re.search(r"(bkp_\w+):", created.output)
    assert backup_id is not None
    listed = runner.invoke(cli, ["backup", "list"])
    assert backup_id.group(1) in listed.output
    verified = runner.invoke(cli, ["backup", "verify", backup_id.group(1)])
    assert verified.exit_code == 0, verified.output
    assert "OK" in verified.output
    missing = runner.invoke(cli, ["backup", "verify", "bkp_20200101T000000Z_000000"])
    assert missing.exit_code == 2
    assert "TargetError" in missing.output
    pruned = runner.invoke(cli, ["backup", "prune"])
    assert pruned.exit_code == 0
    assert "kept 1, deleted 0" in pruned.output
    assert (env / backup_id.group(1) / "manifest.json").is_file()
