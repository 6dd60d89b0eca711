"""`make bench` / `python -m bench.flashsale`: the flash-sale benchmark.

A dev tool run from a source checkout (`bench/` is not in the production wheel); it
starts a real deployment through the installed `ticketsafe` command, or drives one
given by `--url`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bench.flashsale.flow import PRESETS
from bench.flashsale.main import main as run_bench
from bench.flashsale.target import Remote

app = typer.Typer(add_completion=False)


@app.command()
def bench(  # noqa: PLR0917 - a Typer command: its options are its parameters
    preset: Annotated[str, typer.Option(help="smoke | medium | large | full | checkout")] = "smoke",
    faults: Annotated[
        bool, typer.Option(help="kill -9 the api and worker, restart Redis and MongoDB mid-sale.")
    ] = False,
    out: Annotated[str, typer.Option(help="Folder for the JSON report and the PNG.")] = "bench/out",
    results: Annotated[
        str | None, typer.Option(help="Update its preset's row in this file (bench/RESULTS.md).")
    ] = None,
    loaders: Annotated[
        int, typer.Option(min=1, help="Load-generator processes the buyers are spread over.")
    ] = 2,
    api_processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="`ticketsafe api` processes sharing the port (default: 1, or one per core"
            " for the `checkout` preset).",
        ),
    ] = None,
    hold_lane: Annotated[
        bool,
        typer.Option(help="One more api process, on its own port, for the holds alone."),
    ] = True,
    crowd_lane: Annotated[
        bool,
        typer.Option(
            help="One more api process, on its own port, for the waiting room's requests alone "
            "(its CPU is the crowd's, apart from the shop's)."
        ),
    ] = False,
    target_active: Annotated[
        int | None,
        typer.Option(min=1, help="Admit by completions keeping this many shoppers active."),
    ] = None,
    adaptive: Annotated[
        bool,
        typer.Option(help="Adaptive admission: at the pace checkout keeps under 500 ms p90."),
    ] = False,
    checkout_target_ms: Annotated[
        int | None,
        typer.Option(min=50, help="With --adaptive: the checkout p90 admission keeps under (500)."),
    ] = None,
    worker_concurrency: Annotated[
        int | None, typer.Option(min=1, max=256, help="Jobs the worker runs at once.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="Run against this deployment (http(s)://host:port) instead of starting one; "
            "needs TICKETSAFE_AUTH_SECRET, its token key."
        ),
    ] = None,
    ca_file: Annotated[
        str | None, typer.Option(help="CA certificate that signed an https --url's certificate.")
    ] = None,
    metrics: Annotated[
        bool,
        typer.Option(help="HTTP, MongoDB and Redis instruments on (off: measure their cost)."),
    ] = True,
) -> None:
    """The flash-sale benchmark: a real deployment, simulated buyers, a report."""
    if preset not in PRESETS:
        typer.echo(f"error: unknown preset {preset!r}; choose from {sorted(PRESETS)}", err=True)
        raise typer.Exit(2)
    if checkout_target_ms is not None and not adaptive:
        typer.echo("error: --checkout-target-ms is adaptive admission's target", err=True)
        raise typer.Exit(2)
    remote = None
    if url is not None:
        if faults:
            typer.echo(
                "error: --faults kills processes: only with the deployment it starts", err=True
            )
            raise typer.Exit(2)
        try:
            remote = Remote.from_url(url, os.environ, ca_file=Path(ca_file) if ca_file else None)
        except (ValueError, OSError) as exc:  # OSError: an unreadable CA file
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    elif ca_file is not None:
        typer.echo("error: --ca-file is for an https --url", err=True)
        raise typer.Exit(2)
    raise typer.Exit(
        run_bench(
            preset,
            Path(out),
            faults=faults,
            results_md=Path(results) if results else None,
            loaders=loaders,
            api_processes=api_processes,
            hold_lane=hold_lane,
            crowd_lane=crowd_lane,
            target_active=target_active,
            adaptive=adaptive,
            checkout_target_ms=checkout_target_ms,
            worker_concurrency=worker_concurrency,
            remote=remote,
            metrics=metrics,
        )
    )
