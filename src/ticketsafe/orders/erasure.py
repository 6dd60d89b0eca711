"""Orders' part of a person's erasure (`identity.person_erased`, hooked in `ticketsafe/tasks.py`).

The person's data key is already shredded, so the buyer's and holders' sealed details can
no longer be read; this drops them, and the e-mail's blind index, from every order the
person bought, so no search by that e-mail finds the order again. The sale stays whole for
accounting: ids, lines (seats, GA units, ticket types, unit prices), totals, refunds,
status and dates are kept. Idempotent: a second run finds nothing left to drop."""

from __future__ import annotations

import logging

from ticketsafe.infra.jobs import JobContext
from ticketsafe.orders import repository as repo

log = logging.getLogger("ticketsafe.orders")


async def forget_buyer(ctx: JobContext, person_id: str) -> None:
    touched = await repo.forget_buyer(ctx.db, person_id)
    log.info("erased buyer details dropped", extra={"buyer_id": person_id, "orders": touched})
