"""Transfers: a holder offers a ticket to an e-mail address; the person logged in with
that address accepts; the ticket gets a new holder, version and rotation secret, so
every code of the old version (screenshots, PDFs, offline bundles made before) is
refused as superseded.

The offer keeps only a blind index of the address (never the address), and the e-mail
carrying the link is sealed under the sender's key until it is sent. The offer's id
alone accepts nothing: the accepting account's e-mail must match. Per-event limit:
`transfer_limit` transfers per ticket (`ticket_events`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketsafe.identity.principal import Principal
from ticketsafe.identity.service import AccountService
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.vault import PiiVault
from ticketsafe.mail.outbox import queue_mail
from ticketsafe.tickets import repository as repo
from ticketsafe.tickets.documents import place_words
from ticketsafe.tickets.errors import (
    TicketNotTransferable,
    TransferLimitReached,
    TransferNotFound,
)
from ticketsafe.tickets.mails import TRANSFER_OFFER
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import TicketService

OFFER_TTL = timedelta(days=7)


@dataclass(frozen=True)
class TransferOffer:
    id: str
    ticket_id: str
    status: str
    expires_at: datetime


Announce = Callable[[str, Ticket], None]  # (previous holder, the ticket now) → not awaited


class TransferService:
    def __init__(
        self, tickets: TicketService, vault: PiiVault, public_url: str,
        announce: Announce | None = None,
    ) -> None:  # fmt: skip
        self.tickets = tickets
        self.db: Database = tickets.db
        self.vault = vault
        self.public_url = public_url.rstrip("/")
        self.announce = announce

    async def offer(
        self, holder: Principal, ticket_id: str, email: str, jobs: JobBuffer
    ) -> TransferOffer:
        ticket = await self.tickets.get_for_holder(holder, ticket_id)
        if not ticket.admits:
            raise TicketNotTransferable("a used or revoked ticket cannot be transferred")
        policy = await self.tickets.keys.policy(ticket.event_id)
        if ticket.transfers >= policy.transfer_limit:
            raise TransferLimitReached(limit=policy.transfer_limit)
        now = datetime.now(UTC)
        offer = TransferOffer(
            f"trf_{secrets.token_urlsafe(16)}", ticket.id, "pending", now + OFFER_TTL
        )
        await repo.insert_transfer(
            self.db,
            {
                "_id": offer.id, "ticket_id": ticket.id, "event_id": ticket.event_id,
                "version": ticket.version, "from_id": holder.user_id,
                "to_email_index": self.vault.email_index(email), "status": offer.status,
                "created_at": now, "expires_at": offer.expires_at,
            }
        )  # fmt: skip
        await queue_mail(
            self.db, self.vault, jobs, recipient_id=holder.user_id, to=email, locale=None,
            template=TRANSFER_OFFER,
            params={"place": place_words(ticket.place),
                    "accept_url": f"{self.public_url}/account/transfers/{offer.id}"},
        )  # fmt: skip
        return offer

    async def accept(
        self, receiver: Principal, transfer_id: str, accounts: AccountService
    ) -> Ticket:
        doc = await repo.transfer_offer(self.db, transfer_id)
        contact = await accounts.contact_of(receiver.user_id)
        if (
            doc is None
            or doc["status"] != "pending"
            or doc["expires_at"] <= datetime.now(UTC)
            or contact is None
            or self.vault.email_index(contact.email) != doc["to_email_index"]
        ):
            raise TransferNotFound()  # not for this account, used, or expired
        ticket = await self.tickets.get(doc["ticket_id"])
        if ticket is None or ticket.version != doc["version"] or not ticket.admits:
            raise TicketNotTransferable("the ticket changed since it was offered")
        if ticket.holder_id == receiver.user_id:
            raise TicketNotTransferable("this ticket is already yours")
        if not await repo.transfer(self.db, ticket, receiver.user_id):
            raise TicketNotTransferable("the ticket changed since it was offered")
        await repo.close_transfer(self.db, transfer_id, receiver.user_id, datetime.now(UTC))
        accepted = await self.tickets.get(ticket.id)
        assert accepted is not None
        if self.announce is not None:
            self.announce(doc["from_id"], accepted)
        return accepted
