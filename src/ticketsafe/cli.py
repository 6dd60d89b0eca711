"""The command line: one codebase, several process roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, cast

import typer

from ticketsafe.checkin.cli import gate_cli
from ticketsafe.infra.logs import configure_logging
from ticketsafe.infra.resources import MissingConfiguration, Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.ops.backup.commands import backup_cli
from ticketsafe.roles import event_loop

if TYPE_CHECKING:
    from ticketsafe.services import Services

cli = typer.Typer(help="TicketSafe: ticket sales for events that sell out in minutes.")
cli.add_typer(backup_cli, name="backup")
cli.add_typer(gate_cli, name="gate")


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
def cluster(
    apis: Annotated[int, typer.Option(min=1, help="`ticketsafe api` processes.")] = 2,
    workers: Annotated[int, typer.Option(min=1, help="`ticketsafe worker` processes.")] = 1,
    hold_lane: Annotated[
        bool, typer.Option(help="One more api process that the balancer sends holds to.")
    ] = True,
    balance: Annotated[
        str, typer.Option(help="HAProxy's algorithm: leastconn | roundrobin.")
    ] = "leastconn",
    stats_port: Annotated[
        int, typer.Option(help="HAProxy stats (/stats) and metrics (/metrics); 0: free port.")
    ] = 0,
) -> None:
    """Many api and worker processes on shared stores, behind HAProxy (TLS, health checks,
    the hold lane). Needs the `haproxy` program; see docs/deployment.md."""
    from ticketsafe.roles.balancer import Balance, HAProxyMissing  # noqa: PLC0415
    from ticketsafe.roles.cluster import ClusterPlan, run_cluster  # noqa: PLC0415

    if balance not in {"leastconn", "roundrobin"}:
        typer.echo(f"error: --balance must be leastconn or roundrobin, not {balance!r}", err=True)
        raise typer.Exit(2)
    plan = ClusterPlan(apis, workers, hold_lane, cast("Balance", balance), stats_port)
    try:
        run_cluster(_settings(), plan)
    except HAProxyMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def observe(
    port: Annotated[int, typer.Option(help="Prometheus's port (loopback).")] = 9090,
    interval: Annotated[float, typer.Option(min=0.5, help="Scrape interval, seconds.")] = 5.0,
) -> None:
    """A real Prometheus scraping every process of the TicketSafe running from this data
    directory (`serve` or `cluster`), with our alert and recording rules loaded."""
    from ticketsafe.ops.prometheus import PrometheusMissing  # noqa: PLC0415
    from ticketsafe.ops.prometheus import observe as run  # noqa: PLC0415

    try:
        run(_settings(), port=port, interval_s=interval)
    except PrometheusMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def dashboards(
    out: Annotated[str, typer.Option(help="Folder for dashboards/ and provisioning/.")] = (
        "deploy/grafana"
    ),
) -> None:
    """Write the Grafana dashboards (JSON, generated from `ops.dashboards`) and their
    provisioning files."""
    from pathlib import Path  # noqa: PLC0415

    from ticketsafe.ops.dashboards import write  # noqa: PLC0415

    for path in write(Path(out)):
        typer.echo(str(path))


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

    _require_stores(run, beside_serve=True)


@cli.command("rotate-keys")
def rotate_keys(
    new_key: Annotated[
        bool, typer.Option(help="First add a fresh master key to the key file (made current).")
    ] = False,
) -> None:
    """Re-wrap every person's data key under the current master key, online. Old keys
    stay readable; retire one only when nothing (and no backup you may restore) needs it."""
    from ticketsafe.identity import commands  # noqa: PLC0415

    _require_stores(lambda s: _report(commands.rotate_keys(s, new_key=new_key)), beside_serve=True)


@cli.command()
def openapi(
    out: Annotated[str, typer.Option(help="Write the OpenAPI document here ('-': stdout).")] = "-",
) -> None:
    """Print the API's OpenAPI document (the web app's client is generated from it)."""
    import json  # noqa: PLC0415 - only this command needs them
    from pathlib import Path  # noqa: PLC0415

    from ticketsafe.app import create_app  # noqa: PLC0415

    document = json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True) + "\n"
    if out == "-":
        typer.echo(document, nl=False)
    else:
        Path(out).write_text(document)


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
def grant_admin(email: Annotated[str, typer.Argument(help="E-mail of an account.")]) -> None:
    """Make an existing account a platform admin (takes effect at its next sign-in)."""
    from ticketsafe.identity import commands  # noqa: PLC0415

    async def run(services: Services) -> list[str]:
        return await commands.grant_admin(services.db, services.vault, email)

    _require_stores(lambda s: _report(_with_services(s, run)), beside_serve=True)


async def _with_services(
    settings: Settings, run: Callable[[Services], Awaitable[list[str]]]
) -> list[str]:
    """`run` over the command's one services container (`ticketsafe.services`), as the
    api and the worker build theirs. (`rotate-keys` builds its own vault on purpose: it
    must load the key ring after adding a key to it.)"""
    from ticketsafe.services import Services  # noqa: PLC0415 - only these commands need it

    resources = Resources.open(settings)
    services = Services.build(resources)
    try:
        return await run(services)
    finally:
        await services.close()
        await resources.close()


async def _report(lines: Awaitable[list[str]]) -> None:
    from ticketsafe.identity.commands import CommandFailed  # noqa: PLC0415

    try:
        for line in await lines:
            typer.echo(line)
    except CommandFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _require_stores(run: object, *, beside_serve: bool = False) -> None:
    """Run `run(settings)`; an operator tool (`beside_serve`) also finds the stores of a
    `serve` running on the same data dir (`make run`), see `infra.attach`."""
    settings = _settings()
    if beside_serve:
        from ticketsafe.infra.attach import attached_to_serve  # noqa: PLC0415

        settings = attached_to_serve(settings)
    try:
        event_loop.run(run(settings))  # type: ignore[operator]
    except MissingConfiguration as exc:
        typer.echo(f"error: {exc}", err=True)
        if beside_serve:
            typer.echo(
                f"no `ticketsafe serve` (`make run`) is running on {settings.data_dir}: "
                "start it first, or set the URLs",
                err=True,
            )
        raise typer.Exit(2) from None


def main() -> None:
    cli()
