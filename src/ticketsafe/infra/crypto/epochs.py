"""Master-key epochs: crypto-shredding that holds against copies of the data.

Shredding deletes a person's wrapped data key from `data_keys`, but copies taken before
keep it: the store's write-ahead log, a replica's oplog, a backup. A copy opens for as
long as the master key that wrapped the data key is in the key ring. So each master key
lives for one epoch and is then destroyed:

    created ──(RETIRE_AFTER)──▶ retired: a new epoch wraps new data keys, every live data
                                key is re-wrapped to it
            ──(GRACE_S)──────▶ destroyed: re-wrapped again, verified that no live data
                                key is left under it, removed from the key file

An erased person's data key, in any copy, is wrapped under an epoch that was current at
or before the erasure; that epoch is destroyed at most `bound_s` later
(`TICKETSAFE_PII_ERASURE_BOUND_S`, 24 h by default): RETIRE_AFTER + GRACE_S + two checks
(`CHECK_S`) + the re-wrap (budgeted `REWRAP_BUDGET_S`) add up to the bound. The grace lets
a data key wrapped under the old epoch just before it retired (a process that read the
key file a moment earlier) land in the store before the last re-wrap.

Only the key file source rotates on its own (the worker's `identity.key_epochs` task
under a lease). Keys from TICKETSAFE_PII_KEYS are the operator's to rotate and destroy
(see docs/personal-data.md). The file keeps its format; epochs add two optional members,
which a reader that does not know them ignores:

    "epochs":    {"<key id>": {"created_at": iso, "retired_at": iso | null}}
    "destroyed": {"<key id>": iso}        (ids only: no key material is kept)

A key without an entry (a file written before epochs, or by `rotate-keys --new-key`) is
dated the first time it is seen. Every change is made under an exclusive lock on a lock
file beside the key file and written to a temporary file, fsynced, then renamed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ticketsafe.infra.crypto import aead

CHECK_S = 300
GRACE_S = 600
REWRAP_BUDGET_S = 1_800
MIN_BOUND_S = GRACE_S + 2 * CHECK_S + REWRAP_BUDGET_S + CHECK_S  # an epoch lives >= 1 check


def retire_after(bound_s: int) -> timedelta:
    """How long an epoch stays current so that its destruction still meets `bound_s`."""
    if bound_s < MIN_BOUND_S:
        raise ValueError(f"the erasure bound must be at least {MIN_BOUND_S} s")
    return timedelta(seconds=bound_s - GRACE_S - 2 * CHECK_S - REWRAP_BUDGET_S)


@dataclass(frozen=True)
class Epoch:
    key_id: str
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class EpochState:
    current: str
    epochs: dict[str, Epoch]  # every key still in the file
    destroyed: dict[str, datetime]

    def retired(self) -> list[Epoch]:
        return [e for e in self.epochs.values() if e.key_id != self.current]


def read_state(path: Path, now: datetime) -> EpochState:
    """The file's epochs, dating (and writing down) any key seen for the first time."""
    with _locked(path):
        body = _read(path)
        if _date_missing(body, now):
            _write(path, body)
    return _state(body)


def begin_epoch_if_due(path: Path, now: datetime, bound_s: int) -> str | None:
    """Retire the current epoch if it is old enough and make a fresh key current; returns
    its id, or None when not due. Checked under the lock, so two workers racing (a lease
    that expired during a long re-wrap) begin one epoch, not two."""
    with _locked(path):
        body = _read(path)
        _date_missing(body, now)
        current = _state(body).epochs[body["current"]]
        if now - current.created_at < retire_after(bound_s):
            return None
        kid = _fresh_id(body)
        body["keys"][kid] = _b64encode(aead.new_key())
        body["epochs"][body["current"]]["retired_at"] = now.isoformat()
        body["epochs"][kid] = {"created_at": now.isoformat(), "retired_at": None}
        body["current"] = kid
        _write(path, body)
    return kid


def destroy_epoch(path: Path, key_id: str, now: datetime) -> bool:
    """Remove a retired epoch's key from the file for good. The caller has verified that
    no live data key is wrapped under it; the current key is never destroyed."""
    with _locked(path):
        body = _read(path)
        if key_id == body["current"] or key_id not in body["keys"]:
            return False
        del body["keys"][key_id]
        body.get("epochs", {}).pop(key_id, None)
        body.setdefault("destroyed", {})[key_id] = now.isoformat()
        _write(path, body)
    return True


def _state(body: dict[str, Any]) -> EpochState:
    epochs = {
        kid: Epoch(
            kid,
            datetime.fromisoformat(meta["created_at"]),
            datetime.fromisoformat(meta["retired_at"]) if meta.get("retired_at") else None,
        )
        for kid, meta in body["epochs"].items()
        if kid in body["keys"]
    }
    destroyed = {k: datetime.fromisoformat(v) for k, v in body.get("destroyed", {}).items()}
    return EpochState(body["current"], epochs, destroyed)


def _date_missing(body: dict[str, Any], now: datetime) -> bool:
    """Date keys without an entry as first seen now (a retired one as retired now)."""
    epochs = body.setdefault("epochs", {})
    changed = False
    for kid in body["keys"]:
        meta = epochs.get(kid)
        if meta is None:
            meta = epochs[kid] = {"created_at": now.isoformat(), "retired_at": None}
            changed = True
        if kid != body["current"] and not meta.get("retired_at"):
            meta["retired_at"] = now.isoformat()
            changed = True
    return changed


def _fresh_id(body: dict[str, Any]) -> str:
    taken = set(body["keys"]) | set(body.get("destroyed", {}))
    kid = f"k{len(taken) + 1}"
    while kid in taken:
        kid = f"k{secrets.token_hex(3)}"
    return kid


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read(path: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(path.read_text())
    return body


def _write(path: Path, body: dict[str, Any]) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(body, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
