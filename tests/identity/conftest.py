"""Identity fixtures: settings that send mail to the `mail_catcher` SMTP server (both in
`tests/conftest.py`), a worker run on demand, and small HTTP helpers."""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import build_registry

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


async def run_worker_until_idle(resources: Resources, settings: Settings) -> None:
    """Run a real worker until the job stream has nothing left to do."""
    worker = Worker(resources, build_registry(Services.build(resources)), block_ms=50)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if await resources.queue.outstanding() == 0 and not worker._running:
                break
    finally:
        stop.set()
        await task


def read_mail(catcher: MailCatcher) -> list[EmailMessage]:
    out: list[EmailMessage] = []
    for path in catcher.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        out.append(message)
    return out


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


@dataclass
class Account:
    user_id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(
    client: httpx.AsyncClient, email_address: str, *, name: str = "Ana Souza", **extra: Any
) -> httpx.Response:
    body = {"email": email_address, "password": PASSWORD, "name": name, **extra}
    return await client.post("/auth/register", json=body)


async def login(
    client: httpx.AsyncClient, email_address: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/auth/login", json={"email": email_address, "password": password})


async def signed_up(client: httpx.AsyncClient, email_address: str, **extra: Any) -> Account:
    created = await register(client, email_address, **extra)
    assert created.status_code == 201, created.text
    tokens = await login(client, email_address)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return Account(created.json()["id"], email_address, body["access_token"], body["refresh_token"])


async def relogin(client: httpx.AsyncClient, account: Account) -> Account:
    """Fresh tokens (roles and organizations as of now)."""
    tokens = await login(client, account.email)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return Account(account.user_id, account.email, body["access_token"], body["refresh_token"])
