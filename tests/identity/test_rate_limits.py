from __future__ import annotations

import httpx

from tests.identity.conftest import login, register
from ticketsafe.identity.service import LOGIN_PER_ACCOUNT, REGISTER_PER_IP


async def test_login_attempts_per_account_are_limited(client: httpx.AsyncClient) -> None:
    await register(client, "ana@example.com")
    for _ in range(LOGIN_PER_ACCOUNT.burst):
        assert (await login(client, "ana@example.com", "wrong password")).status_code == 401
    limited = await login(client, "ana@example.com")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["code"] == "rate_limited"


async def test_account_limit_does_not_block_other_accounts(client: httpx.AsyncClient) -> None:
    await register(client, "ana@example.com")
    await register(client, "bob@example.com")
    for _ in range(LOGIN_PER_ACCOUNT.burst + 1):
        await login(client, "ana@example.com", "wrong password")
    assert (await login(client, "bob@example.com")).status_code == 200


async def test_account_limit_ignores_email_case(client: httpx.AsyncClient) -> None:
    await register(client, "ana@example.com")
    for _ in range(LOGIN_PER_ACCOUNT.burst):
        await login(client, "ANA@example.com", "wrong password")
    assert (await login(client, "ana@example.com")).status_code == 429


async def test_registrations_per_address_are_limited(client: httpx.AsyncClient) -> None:
    for n in range(REGISTER_PER_IP.burst):
        assert (await register(client, f"user{n}@example.com")).status_code == 201
    limited = await register(client, "one-more@example.com")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
