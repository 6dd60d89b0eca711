"""A role settles its heap once built: startup objects frozen, young collections rarer."""

from __future__ import annotations

import subprocess
import sys

from ticketsafe.roles.event_loop import YOUNG_COLLECTION_THRESHOLD

_PROBE = """
import gc
from ticketsafe.app import create_app
from ticketsafe.infra.settings import Settings
from ticketsafe.roles.event_loop import settle_heap
create_app(Settings())
before = gc.get_threshold()
settle_heap()
print(before[0], gc.get_threshold()[0], gc.get_threshold()[1:] == before[1:], gc.get_freeze_count())
"""


def test_settle_heap_freezes_what_startup_built_and_raises_the_young_threshold() -> None:
    # In a fresh interpreter: freezing this test process's heap would outlive the test.
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert int(out[0]) == 700  # CPython's default, before
    assert int(out[1]) == YOUNG_COLLECTION_THRESHOLD
    assert out[2] == "True"  # the older generations' thresholds are left alone
    assert int(out[3]) > 50_000  # the app's modules, routes and schemas
