from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.identity.conftest import PASSWORD, login, register, run_worker_until_idle, signed_up
from ticketsafe.identity.service import open_pii, seal_pii
from ticketsafe.infra import vault as vault_module
from ticketsafe.infra.jobs import JobContext
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PersonErased, PiiVault
from ticketsafe.tasks import ERASURE_HOOKS


def _vault(app: FastAPI, resources: Resources) -> PiiVault:
    return PiiVault(resources.db, app.state.services.keyring)


async def _erase(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/me/erase", headers=headers, json={"password": PASSWORD})


async def test_erasure_needs_the_password(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    response = await client.post(
        "/me/erase", headers=account.headers, json={"password": "not my password"}
    )
    assert response.status_code == 401
    assert (await client.get("/me", headers=account.headers)).status_code == 200


async def test_erased_account_cannot_sign_in(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    assert (await _erase(client, account.headers)).status_code == 204
    assert (await login(client, "ana@example.com")).status_code == 401
    refresh = await client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refresh.status_code == 401


async def test_erasure_shreds_the_data_key(client: httpx.AsyncClient, resources: Resources) -> None:
    account = await signed_up(client, "ana@example.com")
    await _erase(client, account.headers)
    tombstone = await resources.db["data_keys"].find_one({"_id": account.user_id})
    assert tombstone is not None
    assert "wrapped" not in tombstone
    user = await resources.db["users"].find_one({"_id": account.user_id})
    assert user is not None
    assert (user["status"], user["pii"], "email_index" in user) == ("erased", {}, False)


async def test_other_domains_data_becomes_unreadable(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    """An order (say) sealed a billing name under the person's key; erasure shreds it too."""
    account = await signed_up(client, "ana@example.com")
    vault = _vault(app, resources)
    stored = await seal_pii(vault, account.user_id, {"billing_name": "Ana Souza"})
    assert await open_pii(vault, account.user_id, stored) == {"billing_name": "Ana Souza"}
    await _erase(client, account.headers)
    assert await open_pii(_vault(app, resources), account.user_id, stored) is None


async def test_erased_email_can_register_again(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    await _erase(client, account.headers)
    again = await register(client, "ana@example.com")
    assert again.status_code == 201
    assert again.json()["id"] != account.user_id


async def test_erasure_removes_memberships(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    member = await signed_up(client, "member@example.com")
    org = (await client.post("/organizations", headers=owner.headers, json={"name": "Ar"})).json()
    await client.post(
        f"/organizations/{org['id']}/members",
        headers=owner.headers,
        json={"email": "member@example.com"},
    )
    await _erase(client, member.headers)
    members = await client.get(f"/organizations/{org['id']}/members", headers=owner.headers)
    assert [m["user_id"] for m in members.json()] == [owner.user_id]


async def test_erasure_reaches_other_domains_hooks(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    seen: list[str] = []

    async def orders_hook(ctx: JobContext, person_id: str) -> None:
        seen.append(person_id)

    account = await signed_up(client, "ana@example.com")
    ERASURE_HOOKS.append(orders_hook)
    try:
        await _erase(client, account.headers)
        await run_worker_until_idle(resources, settings)
    finally:
        ERASURE_HOOKS.remove(orders_hook)
    assert seen == [account.user_id]


async def test_nothing_can_be_sealed_for_an_erased_person(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    account = await signed_up(client, "ana@example.com")
    await _erase(client, account.headers)
    with pytest.raises(PersonErased):
        await seal_pii(_vault(app, resources), account.user_id, {"billing_name": "Ana"})


async def test_a_vault_remembers_unwrapped_keys_briefly_and_only_for_itself(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = _vault(app, resources)
    sealed = await seal_pii(vault, "usr_memo", {"name": "Ana"})
    await seal_pii(vault, "usr_memo", {"holder": "Bia"})  # same key, from memory
    assert await resources.db["data_keys"].count_documents({"_id": "usr_memo"}) == 1
    # Another request's vault erases the person: a new vault cannot open anything; this
    # in-flight one keeps the key it unwrapped for at most _REMEMBER_S.
    await _vault(app, resources).shred("usr_memo")
    assert await open_pii(_vault(app, resources), "usr_memo", sealed) is None
    assert await open_pii(vault, "usr_memo", sealed) == {"name": "Ana"}
    monkeypatch.setattr(vault_module, "_REMEMBER_S", 0.0)
    assert await open_pii(vault, "usr_memo", sealed) is None
    # Shredding through the vault itself forgets at once.
    other = _vault(app, resources)
    sealed_other = await seal_pii(other, "usr_memo2", {"name": "Caio"})
    await other.shred("usr_memo2")
    assert await open_pii(other, "usr_memo2", sealed_other) is None
