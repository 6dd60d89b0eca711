"""The mail outbox. `queue_mail` stores the rendered message sealed under the recipient's
data key and defers a `mail.send` job; the worker sends it over SMTP, then drops the
content, keeping only the delivery status. If the recipient is erased before delivery,
the message is dropped (it can no longer be decrypted).

Contract for every domain (receipts, tickets, …)::

    mail_id = await queue_mail(db, vault, jobs, recipient_id=user_id, to=address,
                               locale=locale, template=RECEIPT, params={...})

Call it inside the request; the job is sent only if the request succeeds (`JobsDep`).

A job that has the message at hand and the SMTP transport (the worker's) sends it at
once instead (`send_or_queue`): only its status is written, and only a message the relay
does not take is queued as above, sealed, for its own job to retry.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiosmtplib
import orjson
from pymongo import ASCENDING

from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.migrations import Migration, drop_index_if_present
from ticketsafe.infra.mongo_group import group_get, group_insert
from ticketsafe.infra.mongodb import Database, per_database
from ticketsafe.infra.redrive import Outbox, create_created_index
from ticketsafe.infra.turn_batch import TurnBatch, fail_waiting
from ticketsafe.infra.vault import PersonErased, PiiVault, sealed_from_document, sealed_to_document
from ticketsafe.mail.templates import MailTemplate
from ticketsafe.mail.transport import Attachment, OutgoingMail, SmtpTransport

log = logging.getLogger("ticketsafe.mail")

OUTBOX = "mail_outbox"


class MailDeliveryFailed(Exception):
    """Transient or permanent SMTP failure, without any personal data in its message."""


SEND_JOB = "mail.send"

# A message still queued half an hour after it was written lost its job (see
# `ticketsafe.infra.redrive`): it gets one again.
MAIL_OUTBOX = Outbox(OUTBOX, {"status": "queued"}, SEND_JOB, "mail_id")


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
    attachments: Sequence[Attachment] = (),
    mail_id: str | None = None,
) -> str:
    """Queue one message; returns its id. `mail_id` (default: a fresh one) makes it
    once-only: a second message with the same id raises `DuplicateKeyError`."""
    subject, text = template.render(locale, params)
    fields = {"to": to, "subject": subject, "text": text}
    if attachments:  # sealed with the rest: a ticket's PDF carries its holder's name
        fields["attachments"] = _encode_attachments(attachments)
    sealed = await vault.seal(recipient_id, fields)
    mail_id = mail_id or f"mail_{secrets.token_hex(10)}"
    await group_insert(db, OUTBOX).insert_one(
        _record(mail_id, recipient_id, template, "queued", sealed=sealed_to_document(sealed))
    )
    jobs.defer(SEND_JOB, {"mail_id": mail_id})
    return mail_id


@dataclass(frozen=True)
class Letter:
    """One message to send or queue (`send_or_queue`): `queue_mail`'s arguments, its id
    given (once-only)."""

    recipient_id: str
    to: str
    locale: str | None
    template: MailTemplate
    params: Mapping[str, str]
    mail_id: str
    attachments: Sequence[Attachment] = ()


async def send_or_queue(
    db: Database, vault: PiiVault, jobs: JobBuffer, transport: SmtpTransport | None, letter: Letter
) -> str:
    """Send one message at once, from a job that has it at hand, and write only its
    status (`sent`, no content): a paid order's tickets e-mail, sealed into the outbox,
    read back by its own job and marked sent, cost MongoDB a large insert, a read and an
    update, and the worker a second job. A message the relay refuses or that cannot
    reach it is queued instead, as `queue_mail` does (sealed, retried by its job), and
    so is every message when there is no `transport` (a process with no relay set).

    Once-only rests with the caller (the issuing job mails only tickets it issued
    first): the outbox's key refuses a second record, not a second send. A record that
    cannot be written after the send is logged, not raised: the message is out, and
    raising would have the caller send it again."""
    queue = partial(
        queue_mail, db, vault, jobs, recipient_id=letter.recipient_id, to=letter.to,
        locale=letter.locale, template=letter.template, params=letter.params,
        attachments=letter.attachments, mail_id=letter.mail_id,
    )  # fmt: skip
    if transport is None:
        return await queue()
    mail_id, template = letter.mail_id, letter.template
    subject, text = template.render(letter.locale, letter.params)
    try:
        await transport.send(OutgoingMail(letter.to, subject, text, tuple(letter.attachments)))
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning(
            "mail queued: the relay did not take it",
            extra={"mail_id": mail_id, "error": type(exc).__name__},
        )
        return await queue()
    record = _record(mail_id, letter.recipient_id, template, "sent")
    record["finished_at"] = record["created_at"]
    try:
        await group_insert(db, OUTBOX).insert_one(record)
    except Exception:  # any failure now: sent is sent, and a raise would send it again
        log.exception("mail sent, its status not written", extra={"mail_id": mail_id})
    else:
        log.info("mail sent", extra={"mail_id": mail_id, "template": template.name})
    return mail_id


def _record(
    mail_id: str, recipient_id: str, template: MailTemplate, status: str, **content: Any
) -> dict[str, Any]:
    return {
        "_id": mail_id,
        "owner_id": recipient_id,
        "template": template.name,
        "status": status,
        "created_at": datetime.now(UTC),
        **content,
    }


async def deliver(db: Database, vault: PiiVault, transport: SmtpTransport, mail_id: str) -> str:
    """Send one queued message (idempotent: a sent message is not sent again).
    Returns the final status; raises on a transport failure so the job is retried."""
    doc = await group_get(db, OUTBOX).get(mail_id)
    if doc is None or doc["status"] != "queued":
        return "missing" if doc is None else str(doc["status"])
    try:
        fields = await vault.open(doc["owner_id"], sealed_from_document(doc.get("sealed")))
    except PersonErased:
        await _finish(db, mail_id, "dropped")
        return "dropped"
    try:
        await transport.send(
            OutgoingMail(
                fields["to"], fields["subject"], fields["text"],
                _decode_attachments(fields.get("attachments")),
            )
        )  # fmt: skip
    except aiosmtplib.SMTPResponseException as exc:
        # Server replies may quote the address: keep only the code (errors reach logs
        # and the dead-letter stream).
        raise MailDeliveryFailed(f"SMTP server answered {exc.code}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailDeliveryFailed(f"SMTP delivery failed: {type(exc).__name__}") from None
    await _finish(db, mail_id, "sent")
    log.info("mail sent", extra={"mail_id": mail_id, "template": doc["template"]})
    return "sent"


async def drop_queued_for(db: Database, owner_id: str) -> int:
    """Erasure: drop every message still queued for the person, content included (it is
    unreadable already: sealed under their shredded data key). A job still to come for one
    finds it `dropped` and sends nothing. Sent messages keep no content, only their status.
    Erasures are rare, so this scan of the outbox by owner has no index of its own."""
    result = await db[OUTBOX].update_many(
        {"owner_id": owner_id, "status": "queued"},
        {"$set": {"status": "dropped", "finished_at": datetime.now(UTC)}, "$unset": {"sealed": ""}},
    )
    return result.modified_count


def _encode_attachments(attachments: Sequence[Attachment]) -> str:
    return orjson.dumps(
        [[a.filename, a.content_type, base64.b64encode(a.data).decode()] for a in attachments]
    ).decode()


def _decode_attachments(encoded: str | None) -> tuple[Attachment, ...]:
    if not encoded:
        return ()
    return tuple(Attachment(n, t, base64.b64decode(d)) for n, t, d in orjson.loads(encoded))


async def mail_status(db: Database, mail_id: str) -> str | None:
    doc = await db[OUTBOX].find_one({"_id": mail_id}, {"status": 1})
    return None if doc is None else str(doc["status"])


@dataclass
class _Mark:
    mail_id: str
    status: str
    done: asyncio.Future[None]


class _Marks:
    """Delivery outcomes (`sent`, `dropped`) written as one `update_many` per status and
    flush, one flush under way per process (`TurnBatch` coalescing): the worker sends
    32 messages at once, and on the embedded server each write is a durable commit
    (30 marks: 51 ms one by one, 7 ms together). A failed flush fails each of its
    callers, whose jobs are retried: a message marked `sent` meanwhile is not sent
    again, one not marked may be — at least once, as before."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._batch: TurnBatch[_Mark] = TurnBatch(self._flush, max_weight=500, max_in_flight=1)

    async def mark(self, mail_id: str, status: str) -> None:
        mark = _Mark(mail_id, status, asyncio.get_running_loop().create_future())
        self._batch.submit(mark)
        await mark.done

    async def _flush(self, group: list[_Mark]) -> None:
        now = datetime.now(UTC)
        try:
            for status in sorted({m.status for m in group}):
                await self._db[OUTBOX].update_many(
                    {"_id": {"$in": [m.mail_id for m in group if m.status == status]},
                     "status": "queued"},
                    {"$set": {"status": status, "finished_at": now}, "$unset": {"sealed": ""}},
                )  # fmt: skip
        except Exception as exc:
            fail_waiting((m.done for m in group), exc)
            return
        for m in group:
            if not m.done.done():  # else the caller was cancelled
                m.done.set_result(None)


async def _finish(db: Database, mail_id: str, status: str) -> None:
    await per_database(db, "mail_marks", lambda: _Marks(db)).mark(mail_id, status)


async def create_outbox_collection(db: Database) -> None:
    await db[OUTBOX].create_index([("owner_id", ASCENDING)], name="owner")
    await db[OUTBOX].create_index([("status", ASCENDING), ("created_at", ASCENDING)], name="status")


async def drop_outbox_indexes(db: Database) -> None:
    """The outbox is only read by message id. Its `owner` and `status` indexes served no
    query, and on the embedded server each cost every queued and every sent message
    ~0.2 ms (insert) + ~0.7 ms (status update) of its one core (bench/mongo_indexes.py)."""
    for name in ("owner", "status"):
        await drop_index_if_present(db, OUTBOX, name)


async def index_outbox_by_creation(db: Database) -> None:
    """What the re-drive of messages whose job was lost reads through."""
    await create_created_index(db, OUTBOX)


# Versions 120–129: the outbox once shipped inside identity's migrations (100–199), and
# applied versions are recorded by number, so they keep theirs.
MIGRATIONS = [
    Migration(120, "mail: outbox", create_outbox_collection),
    Migration(121, "mail: outbox read by id only (no owner/status indexes)", drop_outbox_indexes),
    Migration(122, "mail: outbox by creation time (re-drive)", index_outbox_by_creation),
]
