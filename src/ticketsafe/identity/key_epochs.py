"""The master-key epoch rotation: what makes an erasure hold against copies of the data
(write-ahead log, replica oplog, backup) within `TICKETSAFE_PII_ERASURE_BOUND_S`.

One pass (the worker's `identity.key_epochs` periodic task, under its lease, every
`epochs.CHECK_S`):
1. begin a new epoch if the current one is due (`epochs.begin_epoch_if_due`);
2. re-wrap every live data key to the current epoch;
3. for each retired epoch past its grace: re-wrap again (a data key wrapped under it by a
   process that had not yet seen the new epoch), verify that no live data key is left
   under it, and only then destroy its key. If any is left, it stays for the next pass.
Safe to run twice at once: the file changes are made under a lock and re-checked there,
and each re-wrap is a guarded write. See `ticketsafe.infra.crypto.epochs` for the bound.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketsafe.infra.crypto import epochs
from ticketsafe.infra.crypto.keyring import keyring_file_of
from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.vault import PiiVault

log = logging.getLogger("ticketsafe.identity")


@dataclass
class EpochPass:
    began: str | None = None
    rewrapped: int = 0
    destroyed: list[str] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)  # retired epoch → data keys left


async def rotate_epochs(vault: PiiVault, path: Path, bound_s: int, now: datetime) -> EpochPass:
    done = EpochPass()
    state = epochs.read_state(path, now)
    done.began = epochs.begin_epoch_if_due(path, now, bound_s)
    if done.began is not None:
        log.info("master key epoch begun", extra={"key_id": done.began})
        state = epochs.read_state(path, now)
    done.rewrapped = await vault.rewrap_all()
    grace = timedelta(seconds=epochs.GRACE_S)
    for epoch in state.retired():
        if epoch.retired_at is None or now - epoch.retired_at < grace:
            continue
        done.rewrapped += await vault.rewrap_all()
        left = await vault.count_under(epoch.key_id)
        if left:
            done.kept[epoch.key_id] = left
            log.warning("retired master key kept: data keys still under it",
                        extra={"key_id": epoch.key_id, "data_keys": left})  # fmt: skip
        elif epochs.destroy_epoch(path, epoch.key_id, now):
            done.destroyed.append(epoch.key_id)
            log.info("master key epoch destroyed", extra={"key_id": epoch.key_id})
    vault.keyring.refresh()  # this process forgets the destroyed keys at once
    return done


def periodic_tasks(vault: PiiVault) -> list[PeriodicTask]:
    """`vault` is the process's (`ticketsafe.services`): its key ring is the one every
    job of this worker reads, so a destroyed key is forgotten by all of them at once."""

    async def rotate(ctx: JobContext) -> None:
        path = keyring_file_of(ctx.settings)
        if path is None:  # keys from the environment: the operator retires and destroys
            await vault.rewrap_all()
            return
        await rotate_epochs(vault, path, ctx.settings.pii_erasure_bound_s, datetime.now(UTC))

    return [PeriodicTask("identity.key_epochs", epochs.CHECK_S, rotate)]
