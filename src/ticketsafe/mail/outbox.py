"""The mail outbox. `queue_mail` stores the rendered message sealed under the recipient's
data key and defers a `mail.send` job; the worker sends it over SMTP, then drops the
content, keeping only the delivery status. If the recipient is erased before delivery,
the message is dropped (it can no longer be decrypted).

Contract for every domain (receipts, tickets, …)::

    mail_id = await queue_mail(db, vault, jobs, recipient_id=user_id, to=address,
                               locale=locale, template=RECEIPT, params={...})

Call it inside the request; the job is sent only if the request succeeds (`JobsDep`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

import aiosmtplib
from pymongo import ASCENDING

from ticketsafe.identity.errors import PersonErased
from ticketsafe.identity.vault import PiiVault, sealed_from_document, sealed_to_document
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongo_group import group_insert
from ticketsafe.infra.mongodb import Database
from ticketsafe.mail.templates import MailTemplate
from ticketsafe.mail.transport import OutgoingMail, SmtpTransport

log = logging.getLogger("ticketsafe.mail")

OUTBOX = "mail_outbox"


class MailDeliveryFailed(Exception):
    """Transient or permanent SMTP failure, without any personal data in its message."""


SEND_JOB = "mail.send"


async def queue_mail(
    db: Database,
    vault: PiiVault,
    jobs: JobBuffer,
    *,
    recipient_id: str,
    to: str,
    locale: str | None,
    template: MailTemplate,
    params: Mapping[str, str],
) -> str:
    subject, text = template.render(locale, params)
    sealed = await vault.seal(recipient_id, {"to": to, "subject": subject, "text": text})
    mail_id = f"mail_{secrets.token_hex(10)}"
    await group_insert(db, OUTBOX).insert_one(
        {
            "_id": mail_id,
            "owner_id": recipient_id,
            "template": template.name,
            "status": "queued",
            "created_at": datetime.now(UTC),
            "sealed": sealed_to_document(sealed),
        }
    )
    jobs.defer(SEND_JOB, {"mail_id": mail_id})
    return mail_id


async def deliver(db: Database, vault: PiiVault, transport: SmtpTransport, mail_id: str) -> str:
    """Send one queued message (idempotent: a sent message is not sent again).
    Returns the final status; raises on a transport failure so the job is retried."""
    doc = await db[OUTBOX].find_one({"_id": mail_id})
    if doc is None or doc["status"] != "queued":
        return "missing" if doc is None else str(doc["status"])
    try:
        fields = await vault.open(doc["owner_id"], sealed_from_document(doc.get("sealed")))
    except PersonErased:
        await _finish(db, mail_id, "dropped")
        return "dropped"
    try:
        await transport.send(OutgoingMail(fields["to"], fields["subject"], fields["text"]))
    except aiosmtplib.SMTPResponseException as exc:
        # Server replies may quote the address: keep only the code (errors reach logs
        # and the dead-letter stream).
        raise MailDeliveryFailed(f"SMTP server answered {exc.code}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailDeliveryFailed(f"SMTP delivery failed: {type(exc).__name__}") from None
    await _finish(db, mail_id, "sent")
    log.info("mail sent", extra={"mail_id": mail_id, "template": doc["template"]})
    return "sent"


async def mail_status(db: Database, mail_id: str) -> str | None:
    doc = await db[OUTBOX].find_one({"_id": mail_id}, {"status": 1})
    return None if doc is None else str(doc["status"])


async def _finish(db: Database, mail_id: str, status: str) -> None:
    await db[OUTBOX].update_one(
        {"_id": mail_id, "status": "queued"},
        {"$set": {"status": status, "finished_at": datetime.now(UTC)}, "$unset": {"sealed": ""}},
    )


async def create_outbox_collection(db: Database) -> None:
    await db[OUTBOX].create_index([("owner_id", ASCENDING)], name="owner")
    await db[OUTBOX].create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="status")
