from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.polling import eventually
from ticketsafe.infra.crypto.keyring import load_keyring
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.mail.outbox import OUTBOX, MailDeliveryFailed, deliver, mail_status, queue_mail
from ticketsafe.mail.templates import MailTemplate, resolve_locale
from ticketsafe.mail.transport import SmtpTransport

RECEIPT = MailTemplate(
    name="test.receipt",
    subject={"pt-BR": "Recibo {n}", "en": "Receipt {n}"},
    text={"pt-BR": "Obrigado, {name}.", "en": "Thank you, {name}."},
)


@pytest.fixture
def vault(resources: Resources, settings: Settings) -> PiiVault:
    return PiiVault(resources.db, load_keyring(settings))


async def _queue(
    resources: Resources, vault: PiiVault, jobs: JobBuffer, recipient: str = "usr_1"
) -> str:
    return await queue_mail(
        resources.db, vault, jobs, recipient_id=recipient, to="ana@example.com", locale="en",
        template=RECEIPT, params={"n": "42", "name": "Ana"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("given", "expected"), [("pt-BR", "pt-BR"), ("pt", "pt-BR"), ("en-US", "en"), (None, "pt-BR")]
)
def test_locale_resolution(given: str | None, expected: str) -> None:
    assert resolve_locale(given) == expected


async def test_queue_defers_one_send_job(resources: Resources, vault: PiiVault) -> None:
    jobs = JobBuffer()
    mail_id = await _queue(resources, vault, jobs)
    assert [(job.name, job.args) for job, _ in jobs.jobs] == [("mail.send", {"mail_id": mail_id})]


async def test_delivery_is_sent_once(
    resources: Resources, vault: PiiVault, mail_catcher: MailCatcher
) -> None:
    mail_id = await _queue(resources, vault, JobBuffer())
    transport = SmtpTransport(mail_catcher.url, "TicketSafe <no-reply@localhost>")
    assert await deliver(resources.db, vault, transport, mail_id) == "sent"
    assert await deliver(resources.db, vault, transport, mail_id) == "sent"  # redelivered job
    assert len(mail_catcher.messages()) == 1


async def test_mail_to_erased_person_is_dropped(
    resources: Resources, vault: PiiVault, mail_catcher: MailCatcher
) -> None:
    mail_id = await _queue(resources, vault, JobBuffer())
    await vault.shred("usr_1")
    transport = SmtpTransport(mail_catcher.url, "TicketSafe <no-reply@localhost>")
    assert await deliver(resources.db, vault, transport, mail_id) == "dropped"
    assert mail_catcher.messages() == []


async def test_unreachable_smtp_raises_so_the_job_retries(
    resources: Resources, vault: PiiVault
) -> None:
    from ticketsafe.infra.child_process import free_port  # noqa: PLC0415

    mail_id = await _queue(resources, vault, JobBuffer())
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", "x@localhost", timeout_s=2)
    with pytest.raises(MailDeliveryFailed) as info:
        await deliver(resources.db, vault, transport, mail_id)
    assert "example.com" not in str(info.value)
    assert await mail_status(resources.db, mail_id) == "queued"


async def test_refused_recipient_error_carries_no_address(
    resources: Resources, vault: PiiVault, tmp_path: Path
) -> None:
    """A server that refuses the recipient quotes it back; the job error must not."""
    from aiosmtpd.controller import Controller  # noqa: PLC0415
    from aiosmtpd.smtp import SMTP, Envelope, Session  # noqa: PLC0415

    from ticketsafe.infra.child_process import free_port  # noqa: PLC0415

    class Refuse:
        async def handle_RCPT(  # noqa: N802
            self,
            server: SMTP,
            session: Session,
            envelope: Envelope,
            address: str,
            options: list[str],
        ) -> str:
            return f"550 no mailbox {address}"

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail_id = await _queue(resources, vault, JobBuffer())
        transport = SmtpTransport(f"smtp://127.0.0.1:{port}", "x@localhost")
        with pytest.raises(MailDeliveryFailed) as info:
            await deliver(resources.db, vault, transport, mail_id)
    finally:
        controller.stop()
    assert "ana@example.com" not in str(info.value)
    assert info.value.__cause__ is None


async def test_concurrent_deliveries_mark_their_outcomes_in_few_writes(
    resources: Resources,
    vault: PiiVault,
    mail_catcher: MailCatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker sends many messages at once: the `sent` / `dropped` marks that come in
    while one mark write is under way go to MongoDB together in the next (one update per
    status), and each message ends in its own state."""
    jobs = JobBuffer()
    kept = [await _queue(resources, vault, jobs) for _ in range(12)]
    erased = [await _queue(resources, vault, jobs, recipient="usr_gone") for _ in range(3)]
    await vault.shred("usr_gone")
    writes: list[int] = []
    gate = asyncio.Event()
    collection_type = type(resources.db[OUTBOX])
    update_many = collection_type.update_many

    async def gated(self: Any, flt: dict[str, Any], *args: Any, **kw: Any) -> Any:
        writes.append(len(flt["_id"]["$in"]))
        await gate.wait()  # the first write is slow: everything else comes in meanwhile
        return await update_many(self, flt, *args, **kw)

    monkeypatch.setattr(collection_type, "update_many", gated)
    transport = SmtpTransport(mail_catcher.url, "TicketSafe <no-reply@localhost>")
    delivering = asyncio.gather(
        *(deliver(resources.db, vault, transport, m) for m in [*kept, *erased])
    )
    await eventually(lambda: len(mail_catcher.messages()) == 12)
    for _ in range(20):
        await asyncio.sleep(0.01)
    gate.set()
    outcomes = await asyncio.wait_for(delivering, 10)
    assert outcomes == ["sent"] * 12 + ["dropped"] * 3
    assert sum(writes) == 15
    assert len(writes) <= 4  # two flushes (the slow one, then the rest), one write per status
    assert [await mail_status(resources.db, m) for m in kept] == ["sent"] * 12
    assert [await mail_status(resources.db, m) for m in erased] == ["dropped"] * 3
    assert len(mail_catcher.messages()) == 12
    doc = await resources.db[OUTBOX].find_one({"_id": kept[0]})
    assert doc is not None
    assert "sealed" not in doc  # the content is gone once sent


async def test_a_message_whose_job_was_lost_is_sent_by_the_redrive(
    resources: Resources, vault: PiiVault, mail_catcher: MailCatcher
) -> None:
    """The request wrote the message but its job never reached Redis (the api killed
    after answering, Redis losing its last second): half an hour on, it gets a job."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from ticketsafe.infra.redrive import redrive  # noqa: PLC0415
    from ticketsafe.mail.outbox import MAIL_OUTBOX, SEND_JOB  # noqa: PLC0415

    await resources.queue.ensure_group()
    lost = await _queue(resources, vault, JobBuffer())  # its buffer is never flushed
    now = datetime.now(UTC)
    assert await redrive(resources.db, resources.queue, MAIL_OUTBOX, now) == 0  # not yet
    later = now + MAIL_OUTBOX.stale_after + timedelta(seconds=1)
    assert await redrive(resources.db, resources.queue, MAIL_OUTBOX, later) == 1
    [job] = await resources.queue.read("test", 10, 0)
    assert (job.name, job.args) == (SEND_JOB, {"mail_id": lost})
    transport = SmtpTransport(mail_catcher.url, "TicketSafe <no-reply@localhost>")
    assert await deliver(resources.db, vault, transport, job.args["mail_id"]) == "sent"
    assert len(mail_catcher.messages()) == 1
    assert await redrive(resources.db, resources.queue, MAIL_OUTBOX, later) == 0
