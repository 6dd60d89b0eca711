from __future__ import annotations

import asyncio

import httpx

from tests.identity.conftest import signed_up


async def test_refresh_rotates_the_token(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    response = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert response.status_code == 200
    assert response.json()["refresh_token"] != account.refresh_token


async def test_replayed_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    replay = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"


async def test_replay_revokes_the_whole_family(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    rotated = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})  # thief
    legit = await client.post(
        "/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert legit.status_code == 401
    assert legit.json()["code"] == "invalid_refresh_token"


async def test_replay_leaves_other_sessions_alone(client: httpx.AsyncClient) -> None:
    first = await signed_up(client, "ana@example.com")
    second = (await client.post(
        "/auth/login", json={"email": "ana@example.com", "password": "correct horse battery"}
    )).json()  # fmt: skip
    await client.post("/auth/refresh", json={"refresh_token": first.refresh_token})
    await client.post("/auth/refresh", json={"refresh_token": first.refresh_token})
    other = await client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert other.status_code == 200


async def test_logout_revokes_the_session(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    assert (await client.post("/auth/logout", headers=account.headers)).status_code == 204
    response = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert response.status_code == 401


async def test_unknown_refresh_token_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh", json={"refresh_token": "rt_" + "x" * 43})
    assert response.status_code == 401


async def test_concurrent_uses_of_one_refresh_token_yield_one_winner_then_revocation(
    client: httpx.AsyncClient,
) -> None:
    account = await signed_up(client, "ana@example.com")
    body = {"refresh_token": account.refresh_token}
    results = await asyncio.gather(*(client.post("/auth/refresh", json=body) for _ in range(5)))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 401, 401, 401, 401]
    [winner] = [r for r in results if r.status_code == 200]
    follow = await client.post(
        "/auth/refresh", json={"refresh_token": winner.json()["refresh_token"]}
    )
    assert follow.status_code == 401  # the race counted as reuse: the family is revoked
