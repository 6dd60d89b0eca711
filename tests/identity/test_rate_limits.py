from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.identity.conftest import login, register
from ticketsafe.app import create_app
from ticketsafe.infra.ratelimit import Rate
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import RateLimits, Settings

LOGIN_PER_ACCOUNT = RateLimits().login_per_account


@asynccontextmanager
async def client_with(settings: Settings, **limits: Rate) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose rate limits are `limits` (the rest as configured)."""
    app = create_app(
        settings.model_copy(update={"rate_limits": settings.rate_limits.model_copy(update=limits)})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


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


async def test_many_buyers_behind_one_address_can_sign_up(client: httpx.AsyncClient) -> None:
    """A stadium on-sale: everyone shares the carrier's NAT address (it was 5 at once)."""
    for n in range(25):
        assert (await register(client, f"fan{n}@example.com")).status_code == 201


async def test_many_buyers_behind_one_address_can_sign_in(client: httpx.AsyncClient) -> None:
    """Sign-in attempts of many people from one address (it was 20 at once)."""
    replies = [await login(client, f"fan{n}@example.com", "a mistyped one") for n in range(30)]
    assert {r.status_code for r in replies} == {401}


async def test_sign_ups_with_one_email_are_limited(client: httpx.AsyncClient) -> None:
    per_email = RateLimits().signup_per_email
    codes = [(await register(client, "ana@example.com")).status_code for _ in range(4)]
    assert codes == [201] + [409] * (per_email.burst - 1) + [429]


async def test_sign_ups_per_address_follow_the_setting(
    settings: Settings, resources: Resources
) -> None:
    async with client_with(settings, signup_per_ip=Rate(count=2, period_s=3_600, burst=2)) as c:
        for n in range(2):
            assert (await register(c, f"user{n}@example.com")).status_code == 201
        limited = await register(c, "one-more@example.com")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers


async def test_sign_ins_per_address_follow_the_setting(
    settings: Settings, resources: Resources
) -> None:
    async with client_with(settings, login_per_ip=Rate(count=1, period_s=60, burst=3)) as c:
        codes = [(await login(c, f"u{n}@example.com", "nope")).status_code for n in range(4)]
    assert codes == [401, 401, 401, 429]
