"""Scheduled backups: the worker runs one every `backup_interval_s` under the periodic
task's lease (one instance at a time), then prunes by the retention policy. The outcome
goes to the audit log (by `create_backup`) and to the metrics."""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Gauge

from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.settings import Settings
from ticketsafe.ops.backup.keys import load_backup_key
from ticketsafe.ops.backup.service import RetentionPolicy, create_backup, prune_backups
from ticketsafe.ops.backup.targets import target_from_settings

log = logging.getLogger("ticketsafe.backup")

BACKUPS = Counter("ticketsafe_backups_total", "Scheduled backups by outcome", ["outcome"])
LAST_SUCCESS = Gauge(
    "ticketsafe_backup_last_success_timestamp_seconds", "When the last backup succeeded"
)
LAST_BYTES = Gauge("ticketsafe_backup_last_bytes", "Size of the last successful backup")


def periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    if settings.backup_interval_s is None:
        return []

    async def run(ctx: JobContext) -> None:
        target = target_from_settings(ctx.settings)
        key = load_backup_key(ctx.settings)
        try:
            manifest = await create_backup(
                ctx.db.client, ctx.db, target, key, chunk_bytes=ctx.settings.backup_chunk_bytes
            )
            policy = RetentionPolicy(
                ctx.settings.backup_keep_hourly, ctx.settings.backup_keep_daily
            )
            await prune_backups(target, policy)
        except Exception:
            BACKUPS.labels("failed").inc()
            log.exception("scheduled backup failed")
            raise
        BACKUPS.labels("succeeded").inc()
        LAST_SUCCESS.set(time.time())
        LAST_BYTES.set(manifest.data_bytes)
        log.info("backup %s: %d documents", manifest.backup_id, manifest.documents)

    return [PeriodicTask("ops.backup", float(settings.backup_interval_s), run)]
