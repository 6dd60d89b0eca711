from __future__ import annotations

import httpx

from tests.identity.conftest import PASSWORD, login, register, signed_up


async def test_register_answers_id_without_personal_data(client: httpx.AsyncClient) -> None:
    response = await register(client, "ana@example.com", cpf="529.982.247-25", locale="en")
    assert response.status_code == 201
    assert response.json()["id"].startswith("usr_")
    assert "ana@example.com" not in response.text


async def test_registered_profile_reads_back(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com", cpf="529.982.247-25", locale="en")
    body = (await client.get("/me", headers=account.headers)).json()
    assert (body["email"], body["cpf"], body["locale"]) == ("ana@example.com", "52998224725", "en")
    assert body["roles"] == ["buyer"]


async def test_duplicate_email_conflicts_case_insensitively(client: httpx.AsyncClient) -> None:
    await register(client, "ana@example.com")
    response = await register(client, "ANA@example.com")
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


async def test_invalid_cpf_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await register(client, "ana@example.com", cpf="111.111.111-11")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_short_password_is_a_validation_error(client: httpx.AsyncClient) -> None:
    body = {"email": "ana@example.com", "password": "short", "name": "Ana"}
    assert (await client.post("/auth/register", json=body)).status_code == 422


async def test_login_gives_tokens_that_open_me(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com", phone="+55 11 91234-5678")
    me = await client.get("/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["phone"] == "+55 11 91234-5678"


async def test_wrong_password_refused(client: httpx.AsyncClient) -> None:
    await register(client, "ana@example.com")
    response = await login(client, "ana@example.com", "wrong password!")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_unknown_email_refused_like_wrong_password(client: httpx.AsyncClient) -> None:
    response = await login(client, "nobody@example.com")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_me_requires_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/me")).status_code == 401


async def test_profile_update_changes_name_and_clears_phone(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com", phone="+5511912345678")
    response = await client.patch(
        "/me", headers=account.headers, json={"name": "Ana Lima", "phone": None}
    )
    assert response.status_code == 204
    me = (await client.get("/me", headers=account.headers)).json()
    assert (me["name"], me["phone"]) == ("Ana Lima", None)


async def test_change_password_requires_current_one(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    response = await client.post(
        "/auth/password",
        headers=account.headers,
        json={"current_password": "not the password", "new_password": "a new long password"},
    )
    assert response.status_code == 401
    assert (await login(client, "ana@example.com")).status_code == 200


async def test_changed_password_replaces_old(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    response = await client.post(
        "/auth/password",
        headers=account.headers,
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    assert response.status_code == 204
    assert (await login(client, "ana@example.com")).status_code == 401
    assert (await login(client, "ana@example.com", "a new long password")).status_code == 200


async def test_change_password_signs_out_other_devices(client: httpx.AsyncClient) -> None:
    phone = await signed_up(client, "ana@example.com")
    laptop = (await login(client, "ana@example.com")).json()
    await client.post(
        "/auth/password",
        headers=phone.headers,
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    other = await client.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    this = await client.post("/auth/refresh", json={"refresh_token": phone.refresh_token})
    assert (other.status_code, this.status_code) == (401, 200)
