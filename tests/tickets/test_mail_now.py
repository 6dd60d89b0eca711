"""The tickets e-mail sent by the issuing job itself when the worker has an SMTP relay:
only its status is written; a relay that does not take it gets it queued, sealed, for
its own job to retry."""

from __future__ import annotations

import pytest

from tests.orders.conftest import Sale, run_jobs
from tests.tickets.conftest import mailed_tickets, paid_order
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher
from ticketsafe.mail.outbox import OUTBOX, SEND_JOB
from ticketsafe.realtime import me_feed
from ticketsafe.roles.worker import Worker
from ticketsafe.tickets.delivery import tickets_mail_id

SEATS = {"kind": "seats", "seat_ids": ["A:r-1:s-3", "A:r-1:s-4"]}


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


async def test_the_issuing_job_sends_the_tickets_and_keeps_only_the_status(
    sale: Sale, worker: Worker, resources: Resources, mail_catcher: MailCatcher
) -> None:
    order = await paid_order(sale, "usr_1", SEATS)
    assert await run_jobs(worker) == []  # sent by the issuing job
    [path] = mail_catcher.messages()
    message, pdf = mailed_tickets(path)
    assert pdf.count(b"/Type /Page\n") == 2  # a page per ticket
    assert message["To"] == "ana@example.com.br"
    record = await resources.db[OUTBOX].find_one({"_id": tickets_mail_id(order["id"])})
    assert record is not None
    assert record["status"] == "sent"
    assert "sealed" not in record  # no content kept, not even sealed
    assert record["finished_at"] == record["created_at"]


async def test_a_relay_that_cannot_be_reached_gets_the_tickets_mail_queued(
    sale: Sale,
    worker: Worker,
    resources: Resources,
    mail_catcher: MailCatcher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    order = await paid_order(sale, "usr_1", SEATS)
    mail_catcher.stop()
    [send] = await run_jobs(worker)  # the tickets are issued, the e-mail queued
    record = await resources.db[OUTBOX].find_one({"_id": tickets_mail_id(order["id"])})
    assert record is not None
    assert (record["status"], "sealed" in record) == ("queued", True)
    assert "mail queued: the relay did not take it" in [r.message for r in caplog.records]

    relay = MailCatcher(mail_catcher.folder, port=mail_catcher.port)  # the relay is back
    relay.start()
    try:
        await worker.registry.handlers[SEND_JOB](worker.context, **send.args)
    finally:
        relay.stop()
    assert len(mail_catcher.messages()) == 1
    sent = await resources.db[OUTBOX].find_one({"_id": tickets_mail_id(order["id"])})
    assert sent is not None
    assert (sent["status"], "sealed" in sent) == ("sent", False)


async def test_tickets_whose_live_message_fails_are_mailed_all_the_same(
    sale: Sale,
    worker: Worker,
    mail_catcher: MailCatcher,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The buyer's live "issued" message goes out before the e-mail is built and sent;
    if it fails, the e-mail still is (a retry of the job would find the tickets issued
    and mail nothing)."""

    async def unreachable(*_: object) -> None:
        raise ConnectionError("Redis unreachable")

    monkeypatch.setattr(me_feed, "publish_to_user", unreachable)
    await paid_order(sale, "usr_1", SEATS)
    assert await run_jobs(worker) == []
    assert len(mail_catcher.messages()) == 1
    assert "tickets issued, not announced" in [r.message for r in caplog.records]
