"""The worker's side of the outbox: the `mail.send` job, and giving a message whose job
was lost a new one (`mail.redrive`)."""

from __future__ import annotations

from ticketsafe.identity.vault import PiiVault
from ticketsafe.infra.crypto.keyring import KeyRing
from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.infra.redrive import REDRIVE_INTERVAL_S, periodic_pass
from ticketsafe.mail.outbox import MAIL_OUTBOX, SEND_JOB, deliver
from ticketsafe.mail.transport import SmtpTransport
from ticketsafe.roles.worker import PeriodicTask


def register(registry: JobRegistry, keyring: KeyRing, transport: SmtpTransport | None) -> None:
    @registry.task(SEND_JOB)
    async def send_mail(ctx: JobContext, mail_id: str) -> None:
        if transport is None:
            raise RuntimeError("no SMTP server configured (TICKETSAFE_SMTP_URL)")
        await deliver(ctx.db, PiiVault(ctx.db, keyring), transport, mail_id)

    if transport is not None:
        registry.on_close(transport.close)  # the SMTP sessions it keeps open


def periodic_tasks() -> list[PeriodicTask]:
    return [PeriodicTask("mail.redrive", REDRIVE_INTERVAL_S, periodic_pass(MAIL_OUTBOX))]
