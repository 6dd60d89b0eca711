"""The import contracts in pyproject.toml (`lint-imports`, part of `make lint`): they hold
on the package as it is, a violating import breaks them, and they cover every top-level
package, so a new one cannot slip past them unlisted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "ticketsafe"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

INFRA = "infra imports no domain and no process layer"
ROLES = "no domain imports the process layer or the composition root"
DOMAINS = "domains import each other only downwards (no cycles)"
ACYCLIC = "no import cycles between top-level packages"


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _copy_package(tmp_path: Path) -> Path:
    """A copy of `src/ticketsafe` on its own import path (first on PYTHONPATH, so the
    contracts are checked against it rather than the installed package)."""
    shutil.copytree(PACKAGE, tmp_path / "ticketsafe", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _broken(output: str) -> set[str]:
    return {
        line.removesuffix(" BROKEN").split(" BROKEN (")[0]
        for line in output.splitlines()
        if " BROKEN" in line
    }


def test_contracts_hold_on_a_copy_of_the_package(tmp_path: Path) -> None:
    result = _lint(_copy_package(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("infra/periodic.py", "from ticketsafe.orders import models", {INFRA}),
        ("infra/periodic.py", "from ticketsafe.roles import worker", {INFRA}),
        ("mail/outbox.py", "from ticketsafe.roles import worker", {ROLES}),
        ("catalog/venues/service.py", "from ticketsafe import tasks", {ROLES}),
        # The identity <-> mail cycle this layout removed, put back:
        ("mail/outbox.py", "from ticketsafe.identity import errors", {DOMAINS, ACYCLIC}),
        # Sideways between independent domains on one layer:
        ("payments/models.py", "from ticketsafe.catalog import errors", {DOMAINS}),
        # Orders calling organizer webhooks again (they subscribe to order events):
        ("orders/service.py", "from ticketsafe.webhooks import service", {DOMAINS, ACYCLIC}),
    ],
    ids=[
        "infra-domain",
        "infra-roles",
        "domain-roles",
        "domain-root",
        "cycle",
        "sideways",
        "orders-webhooks",
    ],
)
def test_a_violating_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: set[str]
) -> None:
    src = _copy_package(tmp_path)
    target = src / "ticketsafe" / module
    target.write_text(target.read_text() + f"\n{line}  # the violation under test\n")

    result = _lint(src)

    assert result.returncode == 1, result.stdout + result.stderr
    # An import into infra also closes cycles and upward chains through it (infra is
    # imported by every domain), so other contracts may break with the one under test.
    assert broken <= _broken(result.stdout), result.stdout


def _top_level_modules() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    return {f"ticketsafe.{name}" for name in names}


def test_every_top_level_package_is_placed_by_the_contracts() -> None:
    contracts = _contracts()
    everything_but_infra = set(contracts["infra"]["forbidden_modules"])
    domains = set(contracts["roles"]["source_modules"])
    layered = {
        module.strip() for layer in contracts["domains"]["layers"] for module in layer.split("|")
    }

    assert everything_but_infra | {"ticketsafe.infra"} == _top_level_modules()
    assert domains == layered
    assert domains | set(contracts["roles"]["forbidden_modules"]) == everything_but_infra
