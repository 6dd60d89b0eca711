"""The command line: one codebase, several process roles."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ticketsafe.infra.logs import configure_logging
from ticketsafe.infra.resources import MissingConfiguration, Resources
from ticketsafe.infra.settings import Settings

cli = typer.Typer(help="TicketSafe: ticket sales for events that sell out in minutes.")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json, instance=settings.instance_name)
    return settings


@cli.command()
def serve() -> None:
    """All in one: embedded stores (when no URLs are set) + API + worker + front-end."""
    from ticketsafe.roles.serve import serve as run  # noqa: PLC0415 - keep CLI start light

    run(_settings())


@cli.command()
def api() -> None:
    """The API role only (needs TICKETSAFE_MONGO_URL and TICKETSAFE_REDIS_URL)."""
    from ticketsafe.roles.serve import run_api  # noqa: PLC0415

    _require_stores(run_api)


@cli.command()
def worker() -> None:
    """The worker role only: background jobs and periodic tasks."""
    from ticketsafe.roles.serve import run_worker  # noqa: PLC0415

    _require_stores(run_worker)


@cli.command()
def migrate(
    dry_run: Annotated[bool, typer.Option(help="List pending migrations only.")] = False,
) -> None:
    """Apply pending schema migrations (also applied on every start)."""
    from ticketsafe.infra.migrations import applied_versions  # noqa: PLC0415
    from ticketsafe.infra.migrations import migrate as apply  # noqa: PLC0415
    from ticketsafe.schema import MIGRATIONS  # noqa: PLC0415

    async def run(settings: Settings) -> None:
        resources = Resources.open(settings)
        try:
            if dry_run:
                done = await applied_versions(resources.db)
                pending = [m for m in MIGRATIONS if m.version not in done]
                for m in pending:
                    typer.echo(f"pending {m.version} {m.name}")
                return
            applied = await apply(resources.db, MIGRATIONS)
            typer.echo(f"applied {len(applied)} migration(s): {applied}")
        finally:
            await resources.close()

    _require_stores(run)


@cli.command("rotate-keys")
def rotate_keys(
    new_key: Annotated[
        bool, typer.Option(help="First add a fresh master key to the key file (made current).")
    ] = False,
) -> None:
    """Re-wrap every person's data key under the newest master key, online.

    With keys from TICKETSAFE_PII_KEYS, append the new key there (last = current), roll
    the instances out, then run this. Old keys stay readable; retire one only when
    this reports nothing left under it (and no backup you may restore still needs it)."""
    from ticketsafe.identity.vault import PiiVault  # noqa: PLC0415
    from ticketsafe.infra.crypto.keyring import add_key_to_file, load_keyring  # noqa: PLC0415

    async def run(settings: Settings) -> None:
        if new_key:
            if settings.pii_keys is not None:
                typer.echo("error: keys come from TICKETSAFE_PII_KEYS; add the key there", err=True)
                raise typer.Exit(2)
            load_keyring(settings)  # creates the file on first use
            path = settings.pii_keyring_file or settings.keys_dir / "pii-keyring.json"
            typer.echo(f"added master key {add_key_to_file(path)}")
        resources = Resources.open(settings)
        try:
            vault = PiiVault(resources.db, load_keyring(settings))
            moved = await vault.rewrap_all()
            counts = await vault.count_by_master_key()
            typer.echo(f"re-wrapped {moved} data key(s) to {vault.keyring.current_id}; {counts}")
        finally:
            await resources.close()

    _require_stores(run)


@cli.command("verify-queue")
def verify_queue(
    source: Annotated[str, typer.Argument(help="URL of …/waitingroom/events/ID/draw, or a file.")],
    pseudonym: Annotated[
        str | None, typer.Option(help="Your pseudonym (from your status): print your place.")
    ] = None,
    cacert: Annotated[
        str | None, typer.Option(help="CA bundle for an HTTPS URL (e.g. the local CA).")
    ] = None,
) -> None:
    """Check a waiting room's published draw: seed ↔ commitment, and the exact order."""
    from ticketsafe.waitingroom.verify import run_verify  # noqa: PLC0415

    raise typer.Exit(run_verify(source, pseudonym=pseudonym, cacert=cacert, echo=typer.echo))


@cli.command("grant-admin")
def grant_admin(
    email: Annotated[str, typer.Argument(help="E-mail of an existing account.")],
) -> None:
    """Make an existing account a platform admin (takes effect at its next sign-in)."""
    from ticketsafe.identity.errors import UserNotFound  # noqa: PLC0415
    from ticketsafe.identity.repository import IdentityRepository  # noqa: PLC0415
    from ticketsafe.identity.service import AccountService  # noqa: PLC0415
    from ticketsafe.identity.sessions import SessionService  # noqa: PLC0415
    from ticketsafe.identity.tokens import AccessTokenCodec  # noqa: PLC0415
    from ticketsafe.identity.vault import PiiVault  # noqa: PLC0415
    from ticketsafe.infra.crypto.keyring import load_keyring  # noqa: PLC0415
    from ticketsafe.infra.ratelimit import RateLimiter  # noqa: PLC0415

    async def run(settings: Settings) -> None:
        resources = Resources.open(settings)
        try:
            assert settings.auth_secret is not None
            repo = IdentityRepository(resources.db)
            codec = AccessTokenCodec(settings.auth_secret.get_secret_value())
            accounts = AccountService(
                repo,
                PiiVault(resources.db, load_keyring(settings)),
                RateLimiter(resources.redis),
                SessionService(repo, codec, settings.refresh_token_ttl_s),
                settings,
            )
            try:
                typer.echo(f"{await accounts.grant_admin(email)} is now a platform admin")
            except UserNotFound:
                typer.echo("error: no active account with this e-mail", err=True)
                raise typer.Exit(1) from None
        finally:
            await resources.close()

    _require_stores(run)


def _require_stores(run: object) -> None:
    settings = _settings()
    try:
        asyncio.run(run(settings))  # type: ignore[operator]
    except MissingConfiguration as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def main() -> None:
    cli()
