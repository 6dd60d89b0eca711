"""`ticketsafe backup create | list | verify | restore | prune`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ticketsafe.infra.resources import MissingConfiguration, Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.ops.backup.keys import BackupKeyError, load_backup_key
from ticketsafe.ops.backup.manifest import ManifestInvalid
from ticketsafe.ops.backup.service import (
    DatabaseNotEmpty,
    RetentionPolicy,
    backup_time,
    create_backup,
    prune_backups,
    restore_backup,
    verify_backup,
)
from ticketsafe.ops.backup.snapshot import ChunkCorrupt
from ticketsafe.ops.backup.targets import TargetError, target_from_settings

backup_cli = typer.Typer(help="Encrypted backups: create, list, verify, restore, prune.")
console = Console(stderr=True)
T = TypeVar("T")

FAILURES = (
    TargetError, BackupKeyError, ManifestInvalid, ChunkCorrupt, DatabaseNotEmpty,
    MissingConfiguration,
)  # fmt: skip


def _run(
    settings_factory: Callable[[], Settings], work: Callable[[Settings], Coroutine[Any, Any, T]]
) -> T:
    try:
        return asyncio.run(work(settings_factory()))
    except FAILURES as exc:
        console.print(f"[red]{type(exc).__name__}[/red]: {exc}")
        raise typer.Exit(2) from exc


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} docs"),
        TimeElapsedColumn(), console=console, transient=True,
    )  # fmt: skip


def _settings() -> Settings:
    """Explicit settings, else those of a `serve` running on the same data dir."""
    from ticketsafe.infra.attach import attached_to_serve  # noqa: PLC0415

    return attached_to_serve(Settings())


@backup_cli.command("create")
def create() -> None:
    """Back up every collection now (to TICKETSAFE_BACKUP_TARGET)."""

    async def work(settings: Settings) -> None:
        resources = Resources.open(settings)
        try:
            with _progress() as bar:
                task = bar.add_task("backing up", total=None)
                manifest = await create_backup(
                    resources.mongo, resources.db, target_from_settings(settings),
                    load_backup_key(settings), chunk_bytes=settings.backup_chunk_bytes,
                    actor="cli", progress=lambda name, done: bar.update(
                        task, description=name, completed=done),
                )  # fmt: skip
        finally:
            await resources.close()
        typer.echo(
            f"{manifest.backup_id}: {manifest.documents:,} documents in "
            f"{len(manifest.collections)} collections, {manifest.data_bytes:,} bytes "
            f"({manifest.consistency})"
        )

    _run(_settings, work)


@backup_cli.command("list")
def list_backups() -> None:
    """The backups in the target, oldest first."""

    async def work(settings: Settings) -> None:
        target = target_from_settings(settings)
        ids = await asyncio.to_thread(target.backup_ids)
        table = Table("backup", "taken (UTC)", title=target.description)
        for backup_id in ids:
            when = backup_time(backup_id)
            table.add_row(backup_id, f"{when:%Y-%m-%d %H:%M:%S}" if when else "?")
        Console().print(table)

    _run(_settings, work)


@backup_cli.command("verify")
def verify(backup_id: Annotated[str, typer.Argument(help="A backup id (see list).")]) -> None:
    """Download and check every chunk without restoring."""

    async def work(settings: Settings) -> None:
        with _progress() as bar:
            task = bar.add_task("verifying", total=None)
            report = await verify_backup(
                target_from_settings(settings), load_backup_key(settings), backup_id,
                progress=lambda name, done: bar.update(task, description=name, completed=done),
            )  # fmt: skip
        typer.echo(f"{backup_id}: OK, {report.documents:,} documents, {report.bytes:,} bytes")

    _run(_settings, work)


@backup_cli.command("restore")
def restore(
    backup_id: Annotated[str, typer.Argument(help="A backup id (see list).")],
    force: Annotated[
        bool, typer.Option("--force", help="Drop what the database holds first.")
    ] = False,
) -> None:
    """Restore into an empty database, then drop Redis's derived state (rebuilt on use).
    Stop the api and worker processes first."""

    async def work(settings: Settings) -> None:
        resources = Resources.open(settings)
        try:
            with _progress() as bar:
                task = bar.add_task("restoring", total=None)
                report = await restore_backup(
                    resources.db, resources.redis, target_from_settings(settings),
                    load_backup_key(settings), backup_id, force=force, actor="cli",
                    progress=lambda name, done: bar.update(task, description=name, completed=done),
                )  # fmt: skip
        finally:
            await resources.close()
        typer.echo(f"{backup_id}: restored {report.documents:,} documents")

    _run(_settings, work)


@backup_cli.command("prune")
def prune() -> None:
    """Delete the backups the retention policy no longer keeps."""

    async def work(settings: Settings) -> None:
        policy = RetentionPolicy(settings.backup_keep_hourly, settings.backup_keep_daily)
        kept, deleted = await prune_backups(target_from_settings(settings), policy)
        typer.echo(f"kept {len(kept)}, deleted {len(deleted)}: {' '.join(deleted) or '-'}")

    _run(_settings, work)
