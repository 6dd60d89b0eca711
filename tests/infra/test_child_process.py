"""A supervised child dies with its parent by the signal it was given (PR_SET_PDEATHSIG):
SIGKILL reaches even a child whose SIGTERM handling would not end it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ticketsafe.infra.child_process import ChildProcess

# A parent that starts one ChildProcess (which ignores SIGTERM once it says "ready"),
# prints its pid when it is ready, then waits to be killed.
_PARENT = """
import signal, sys, time
from pathlib import Path
from ticketsafe.infra.child_process import ChildProcess
work = Path(sys.argv[1])
stubborn = [sys.executable, "-c",
            "import signal, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "pathlib.Path('ready').touch(); time.sleep(60)"]
child = ChildProcess("stubborn", stubborn, work, death_signal=getattr(signal, sys.argv[2]))
child.start()
while not (work / "ready").exists():
    time.sleep(0.02)
print(child.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(("death_signal", "survives"), [("SIGKILL", False), ("SIGTERM", True)])
def test_a_child_dies_with_its_parent_by_its_death_signal(
    tmp_path: Path, death_signal: str, survives: bool
) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path), death_signal],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    try:
        parent.kill()  # kill -9: no cleanup code of ours runs
        parent.wait(10)
        deadline = time.monotonic() + 3
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(pid) is survives
    finally:
        parent.stdout.close()
        if _alive(pid):
            os.kill(pid, 9)  # the child this test started


def test_check_running_names_a_child_that_exited(tmp_path: Path) -> None:
    """A child that failed its start-up (here: exits at once with status 3) is reported
    by `check_running`; one still running passes."""
    failed = ChildProcess("failed", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path)
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    running = ChildProcess("running", sleeper, tmp_path)
    failed.start()
    running.start()
    try:
        deadline = time.monotonic() + 10
        while failed._proc is not None and failed._proc.poll() is None:
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.05)
        with pytest.raises(RuntimeError, match="failed exited with 3"):
            failed.check_running()
        running.check_running()
    finally:
        failed.stop()
        running.stop()
