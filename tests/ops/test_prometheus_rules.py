"""The rule files load in a real Prometheus's own checker, and every alert's promtool
cases pass: each fires when it should, and none fires on a normal sale."""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from ticketsafe.ops.prometheus import ALERT_TESTS, RULES_DIR, promtool


def _load(name: str) -> Any:
    return yaml.safe_load((RULES_DIR / name).read_text())


def test_rule_files_load() -> None:
    files = sorted(RULES_DIR.glob("*.yml"))
    assert [f.name for f in files] == ["ticketsafe-alerts.yml", "ticketsafe-recording.yml"]
    result = subprocess.run(
        [promtool(), "check", "rules", *map(str, files)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_cases_pass() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", str(ALERT_TESTS)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_in_a_case_and_stays_quiet_on_the_normal_sale() -> None:
    alerts = {r["alert"] for g in _load("ticketsafe-alerts.yml")["groups"] for r in g["rules"]}
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    (normal,) = [t for t in tests if t["name"].startswith("a normal sale")]
    quiet = {case["alertname"] for case in normal["alert_rule_test"] if not case["exp_alerts"]}
    assert len(alerts) == 12
    assert fired == alerts
    assert quiet == alerts
