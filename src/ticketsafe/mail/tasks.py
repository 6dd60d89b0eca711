"""The worker's side of the outbox: the `mail.send` job, giving a message whose job was
lost a new one (`mail.redrive`), and dropping an erased person's queued mail."""

from __future__ import annotations

from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.infra.periodic import PeriodicTask
from ticketsafe.infra.redrive import REDRIVE_INTERVAL_S, periodic_pass
from ticketsafe.infra.vault import PiiVault
from ticketsafe.mail.outbox import MAIL_OUTBOX, SEND_JOB, deliver, drop_queued_for
from ticketsafe.mail.transport import SmtpTransport


def register(registry: JobRegistry, vault: PiiVault, transport: SmtpTransport | None) -> None:
    """`vault` is the process's (`ticketsafe.services`)."""

    @registry.task(SEND_JOB)
    async def send_mail(ctx: JobContext, mail_id: str) -> None:
        if transport is None:
            raise RuntimeError("no SMTP server configured (TICKETSAFE_SMTP_URL)")
        await deliver(ctx.db, vault, transport, mail_id)

    if transport is not None:
        registry.on_close(transport.close)  # the SMTP sessions it keeps open


async def drop_mail_of_erased(ctx: JobContext, person_id: str) -> None:
    """The erasure hook (`ticketsafe/tasks.py`): nothing queued for the person stays."""
    await drop_queued_for(ctx.db, person_id)


def periodic_tasks() -> list[PeriodicTask]:
    return [PeriodicTask("mail.redrive", REDRIVE_INTERVAL_S, periodic_pass(MAIL_OUTBOX))]
