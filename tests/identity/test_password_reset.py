from __future__ import annotations

import re

import httpx

from tests.identity.conftest import body_of, login, read_mail, register, run_worker_until_idle
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher

NEW_PASSWORD = "brand new long password"


async def _reset_token(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    catcher: MailCatcher,
    email_address: str,
) -> str:
    response = await client.post("/auth/password-reset", json={"email": email_address})
    assert response.status_code == 202
    await run_worker_until_idle(resources, settings)
    [message] = read_mail(catcher)
    match = re.search(r"#token=(\S+)", body_of(message))
    assert match is not None
    return match.group(1)


async def test_reset_link_arrives_by_smtp_in_portuguese(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await register(client, "ana@example.com", name="Ana Souza", locale="pt-BR")
    await client.post("/auth/password-reset", json={"email": "ana@example.com"})
    await run_worker_until_idle(resources, settings)
    [message] = read_mail(mail_catcher)
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Redefinição de senha do TicketSafe"
    assert "Olá, Ana Souza." in body_of(message)
    assert "https://tickets.test/account/reset-password#token=pr_" in body_of(message)


async def test_reset_mail_follows_english_locale(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await register(client, "bob@example.com", name="Bob", locale="en")
    await client.post("/auth/password-reset", json={"email": "bob@example.com"})
    await run_worker_until_idle(resources, settings)
    [message] = read_mail(mail_catcher)
    assert message["Subject"] == "Reset your TicketSafe password"


async def test_reset_sets_new_password(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await register(client, "ana@example.com")
    token = await _reset_token(client, resources, settings, mail_catcher, "ana@example.com")
    confirm = await client.post(
        "/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirm.status_code == 204
    assert (await login(client, "ana@example.com", NEW_PASSWORD)).status_code == 200
    assert (await login(client, "ana@example.com")).status_code == 401


async def test_reset_link_works_once(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await register(client, "ana@example.com")
    token = await _reset_token(client, resources, settings, mail_catcher, "ana@example.com")
    body = {"token": token, "new_password": NEW_PASSWORD}
    await client.post("/auth/password-reset/confirm", json=body)
    again = await client.post("/auth/password-reset/confirm", json=body)
    assert again.status_code == 410
    assert again.json()["code"] == "invalid_reset_token"


async def test_reset_for_unknown_email_answers_the_same_and_sends_nothing(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    response = await client.post("/auth/password-reset", json={"email": "nobody@example.com"})
    await run_worker_until_idle(resources, settings)
    assert response.status_code == 202
    assert read_mail(mail_catcher) == []


async def test_sent_mail_leaves_no_content_in_outbox(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, mail_catcher: MailCatcher
) -> None:
    await register(client, "ana@example.com")
    await client.post("/auth/password-reset", json={"email": "ana@example.com"})
    await run_worker_until_idle(resources, settings)
    [doc] = await resources.db["mail_outbox"].find({}).to_list()
    assert doc["status"] == "sent"
    assert "sealed" not in doc
