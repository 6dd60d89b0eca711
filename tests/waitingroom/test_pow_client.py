"""The client's proof-of-work helper: the algorithm as the README states it, its command
line, and a whole join through the HTTP API."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from fastapi import FastAPI

from tests.waitingroom.conftest import MakeConfig, auth
from ticketsafe.waitingroom import pow_client
from ticketsafe.waitingroom.proof_of_work import ProofOfWork
from ticketsafe.waitingroom.service import WaitingRoom


def _readme_check(challenge: str, solution: str, difficulty: int) -> bool:
    """README: SHA-256 of the UTF-8 bytes of challenge ":" solution starts with
    `difficulty` zero bits, first byte's high bit first."""
    digest = hashlib.sha256((challenge + ":" + solution).encode("utf-8")).digest()
    bits = "".join(f"{byte:08b}" for byte in digest)
    return bits.startswith("0" * difficulty)


@pytest.mark.parametrize("difficulty", [0, 3, 8, 13])
def test_a_solution_meets_the_documented_rule_and_the_server_takes_it(difficulty: int) -> None:
    server = ProofOfWork(b"k" * 32)
    challenge = server.issue("evt_1", "usr_1", difficulty)
    solution = pow_client.solve(challenge, difficulty)
    assert len(solution) <= pow_client.MAX_SOLUTION_LEN
    assert _readme_check(challenge, solution, difficulty)
    assert server.verify(challenge, solution, "evt_1", "usr_1").bits == difficulty


def test_the_command_line_prints_a_solution(capsys: pytest.CaptureFixture[str]) -> None:
    assert pow_client.main(["some.challenge", "10"]) == 0
    solution = capsys.readouterr().out.strip()
    assert _readme_check("some.challenge", solution, 10)
    assert pow_client.main(["only-one-argument"]) == 2


async def test_join_does_the_whole_exchange(
    client: httpx.AsyncClient, app: FastAPI, make_config: MakeConfig
) -> None:
    room: WaitingRoom = app.state.services.waiting_room
    config = make_config(pow_difficulty=8)
    await room.configure_queue(config)
    joined = await pow_client.join(client, config.event_id, auth(app, "usr_1"))
    assert joined.status_code == 200, joined.text
    assert joined.json()["state"] in {"queued", "admitted"}
    refused = await pow_client.join(client, "evt_none", auth(app, "usr_1"))
    assert refused.status_code == 404
