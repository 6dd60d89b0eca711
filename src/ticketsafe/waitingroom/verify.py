"""`ticketsafe verify-queue`: anyone can check a published draw, with no access to ours."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import orjson

from ticketsafe.waitingroom.fairness import verify_draw


def load_draw(source: str, *, cacert: str | None = None) -> dict[str, object]:
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, verify=cacert or True, timeout=30.0)
        response.raise_for_status()
        data = orjson.loads(response.content)
    else:
        data = orjson.loads(Path(source).read_bytes())
    if not isinstance(data, dict):
        raise ValueError("the draw must be a JSON object")
    return data


def run_verify(
    source: str,
    *,
    pseudonym: str | None = None,
    cacert: str | None = None,
    echo: Callable[[str], object] = print,
) -> int:
    """Print the verdict; the exit code is 0 only for a verified draw."""
    try:
        draw = load_draw(source, cacert=cacert)
        commitment = str(draw["commitment"])
        seed = draw.get("seed")
        entries = [str(e) for e in draw.get("entries", [])]  # type: ignore[attr-defined]
        order = [str(e) for e in draw.get("order", [])]  # type: ignore[attr-defined]
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:
        echo(f"error: cannot read the draw: {exc}")
        return 2
    check = verify_draw(commitment, None if seed is None else str(seed), entries, order)
    if not check.ok:
        for problem in check.problems:
            echo(f"FAILED: {problem}")
        return 1
    echo(f"OK: the seed matches commitment {commitment}; the order of {check.entrants} entries")
    echo("    is exactly the one recomputed from the seed.")
    if pseudonym is not None:
        if pseudonym in order:
            echo(f"{pseudonym} was drawn at position {order.index(pseudonym) + 1}")
        else:
            echo(f"{pseudonym} is not among the drawn entries")
            return 1
    return 0
