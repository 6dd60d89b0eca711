"""How many MongoDB writes one paid card order costs TicketSafe (issue: at most 6).

Counted with a PyMongo command monitor against the real embedded server: every
insert / update / delete / findAndModify / bulkWrite command sent to the test's own
database (one command is one write, whatever it carries), from the buyer's checkout
through the worker jobs the money path runs (the PSP's webhook, the order's
announcement: ticket issuance, its e-mail queued). Counted apart: the hold (inventory's,
made before any order, paid or not), and what is made once, not per order: the event's
ticket-signing keys (its first issuance: a first order is paid before the one counted)
and the buyer's data key (made when their account is). The sandbox PSP's own records
are in its own process, not in our database. The worker sends mail to a real SMTP
server (a catcher), so the tickets e-mail's delivery is counted too.

A change that adds a write on this path fails here: lower the budget when one is removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from pymongo import monitoring

from tests.identity.conftest import register
from tests.orders.conftest import Headers, Sale, run_jobs
from tests.orders.test_checkout import VISA_OK, card
from tests.tickets.conftest import paid_order
from ticketsafe.infra.settings import Settings
from ticketsafe.roles.worker import Worker

WRITE_BUDGET = 6  # per paid card order, checkout through its jobs
HOLD_BUDGET = 0  # a hold lives in Redis until its checkout
# Per pending bank-transfer order, checkout through its jobs: the order, its units and
# its payment, all inserts (group-committed with other checkouts'); the order is written
# again only with its next change of state.
PENDING_BUDGET = 3

_WRITE_COMMANDS = frozenset({"insert", "update", "delete", "findAndModify", "bulkWrite"})


class WriteCounter(monitoring.CommandListener):
    """Counts write commands sent to one database, by (command, collection), and the
    reads (`find`) apart."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.writes: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name != self.database:
            return
        if event.command_name == "find":
            self.reads[str(event.command.get("find"))] += 1
        if event.command_name in _WRITE_COMMANDS:
            self.writes[f"{event.command_name} {event.command.get(event.command_name)}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None

    def take(self) -> Counter[str]:
        writes, self.writes = self.writes, Counter()
        return writes

    def take_reads(self) -> Counter[str]:
        reads, self.reads = self.reads, Counter()
        return reads


_COUNTER = WriteCounter()
_REGISTERED: list[WriteCounter] = []


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


@pytest.fixture
def writes(settings: Settings) -> Iterator[WriteCounter]:
    """The counter, watching this test's database. PyMongo registers listeners for the
    clients made after, process-wide, so it is registered once and watches one database
    at a time (the app's and the worker's clients are made by the fixtures after this)."""
    if not _REGISTERED:
        monitoring.register(_COUNTER)
        _REGISTERED.append(_COUNTER)
    _COUNTER.database = settings.mongo_database
    _COUNTER.take()
    yield _COUNTER
    _COUNTER.database = None


async def _registered_buyer(sale: Sale, worker: Worker) -> Headers:
    """A buyer with an account (and so a data key), after a first paid order of the
    sale: nothing made once per sale or per account is counted after this."""
    await paid_order(sale, "usr_first", {"kind": "seats", "seat_ids": ["A:r-2:s-1"]})
    account = await register(sale.client, "budget@example.com.br")
    assert account.status_code == 201, account.text
    await run_jobs(worker)  # the first order's jobs, and the sale's own, are not counted
    return sale.buyer(account.json()["id"])


async def test_a_paid_card_order_costs_at_most_six_writes(
    writes: WriteCounter, sale: Sale, worker: Worker
) -> None:
    buyer = await _registered_buyer(sale, worker)
    token = await card(sale.client, VISA_OK)
    writes.take()

    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    hold_writes = writes.take()
    r = await sale.checkout(buyer, hold, method="card_sandbox", card_token=token)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "paid"
    checkout_writes = writes.take()
    await run_jobs(worker, send_mail=True)
    job_writes = writes.take()
    tickets = await sale.client.get(f"/orders/{r.json()['id']}/tickets", headers=buyer)
    assert len(tickets.json()) == 1, tickets.text

    report = f"hold {dict(hold_writes)}; checkout {dict(checkout_writes)}; jobs {dict(job_writes)}"
    print(report)
    assert hold_writes.total() <= HOLD_BUDGET, report
    assert checkout_writes.total() + job_writes.total() <= WRITE_BUDGET, report


async def test_a_pending_transfer_order_costs_three_inserts(
    writes: WriteCounter, sale: Sale, worker: Worker
) -> None:
    buyer = await _registered_buyer(sale, worker)
    writes.take()

    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    r = await sale.checkout(buyer, hold, method="bank_transfer")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending_payment"
    checkout_writes = writes.take()
    await run_jobs(worker)
    job_writes = writes.take()

    report = f"checkout {dict(checkout_writes)}; jobs {dict(job_writes)}"
    print(report)
    assert set(checkout_writes) == {"insert orders", "insert inventory_units", "insert payments"}
    assert checkout_writes.total() + job_writes.total() <= PENDING_BUDGET, report


# Reads of the order by a paid card order's jobs: its announcement's job reads it once
# for every listener (tickets, the buyer's live feed, organizer webhooks: once each, six
# reads in all, before), and issuance reads it again after inserting the tickets (a
# refund that ran meanwhile). The tickets e-mail is queued by the same job, from the
# order and tickets at hand (its own job read the order, the tickets and their
# admissions again, before).
ORDER_READS = 2


async def test_a_paid_card_orders_jobs_read_the_order_twice(
    writes: WriteCounter, sale: Sale, worker: Worker
) -> None:
    buyer = await _registered_buyer(sale, worker)
    token = await card(sale.client, VISA_OK)
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    r = await sale.checkout(buyer, hold, method="card_sandbox", card_token=token)
    assert r.json()["status"] == "paid"
    writes.take_reads()
    await run_jobs(worker)
    reads = writes.take_reads()
    assert reads["orders"] <= ORDER_READS, dict(reads)
    assert reads["tickets"] == reads["ticket_admissions"] == 0, dict(reads)
    assert reads["events"] <= 1, dict(reads)  # the e-mail's event card, PDF and .ics alike
