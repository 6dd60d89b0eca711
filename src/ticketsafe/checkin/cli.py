"""`ticketsafe gate ...`: the offline verifier on the command line (the same logic a gate
app embeds), so a device's behaviour is testable without a browser or a network.

    ticketsafe gate keygen --out device.key        # prints the public key to register
    ticketsafe gate verify --bundle b.json --key device.key --log scans.jsonl CODE

`verify` prints one JSON line (admitted, reason, message, ticket_id, kind) and exits 0
to admit, 1 to refuse, 2 when the bundle or key cannot be used. Admissions are appended
to `--log`, which later runs replay (a second scan of a ticket is refused) and which
`POST /events/{id}/checkin/sync` takes as its `scans`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

gate_cli = typer.Typer(help="Offline gate: device keys and code verification.")


@gate_cli.command()
def keygen(out: Annotated[Path, typer.Option(help="Where to write the private key.")]) -> None:
    """Make this device's X25519 key pair; prints the public key for the bundle request."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: PLC0415
        X25519PrivateKey,
    )

    from ticketsafe.checkin.offline import b64  # noqa: PLC0415 - keep CLI start light

    key = X25519PrivateKey.generate()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(b64(key.private_bytes_raw()) + "\n")
    typer.echo(b64(key.public_key().public_bytes_raw()))


@gate_cli.command()
def verify(
    code: str,
    bundle: Annotated[Path, typer.Option(help="The event's bundle for this device.")],
    key: Annotated[Path, typer.Option(help="This device's private key (keygen).")],
    log: Annotated[Path | None, typer.Option(help="Admissions so far (JSON lines).")] = None,
    gate: Annotated[str, typer.Option(help="The gate's name, as recorded.")] = "offline",
) -> None:
    """Judge CODE offline; exit 0 = admit, 1 = refuse."""
    import orjson  # noqa: PLC0415 - keep CLI start light
    from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: PLC0415
        X25519PrivateKey,
    )

    from ticketsafe.checkin.offline import BundleUnreadable, OfflineGate, unb64  # noqa: PLC0415

    try:
        device_key = X25519PrivateKey.from_private_bytes(unb64(key.read_text().strip()))
        offline = OfflineGate.open(orjson.loads(bundle.read_bytes()), device_key)
        offline.replay(read_log(log) if log is not None and log.exists() else [])
    except (OSError, ValueError, BundleUnreadable) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    verdict = offline.verify(code, gate)
    scanned = verdict.scanned
    typer.echo(
        orjson.dumps({
            "admitted": verdict.admitted,
            "reason": verdict.reason.value if verdict.reason else None,
            "message": verdict.message,
            "ticket_id": scanned.claims.ticket_id if scanned else None,
            "kind": scanned.kind if scanned else None,
        }).decode()
    )  # fmt: skip
    if verdict.admitted and log is not None:
        with log.open("ab") as f:
            f.write(orjson.dumps(offline.admitted[-1]) + b"\n")
    raise typer.Exit(0 if verdict.admitted else 1)


def read_log(path: Path) -> list[dict[str, Any]]:
    import orjson  # noqa: PLC0415

    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
