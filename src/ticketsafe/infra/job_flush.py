"""When a request's jobs leave: one rule, for the FastAPI routes and the fast lane alike.

**The rule.** The jobs a request deferred (`JobBuffer`) are sent only if its handler
returned (its writes succeeded), and only after its answer has been sent. A failure to
send them is logged with their names and never changes the answer. `JobsDep`
(`infra.deps.get_job_buffer`, a request-scoped dependency whose exit runs after the
response) and `FastLane` (after its `http.response.body`) both call `send_after_answer`;
nothing else flushes a request's jobs.

**Why after the answer.** By then the request's writes are committed in MongoDB, the
system of record: an order exists, a payment moved. Flushing first made the fast checkout
and the fast PSP webhook answer 503 for an order that had been committed when Redis
failed at that moment, while the FastAPI route answered 201 for the same request: two
answers to one request, and the 503 one false (a buyer told to retry a purchase that
went through; a PSP re-sending a webhook already applied). The answer says what the
database says.

**Why no job is lost for good.** Redis is an accelerator (invariant 3): each job sent
after a write has a MongoDB-side recovery that does not need it, so a job lost here (or
with a killed api, or with Redis's last second) is late, not gone:
- outbox records — mail (`mail.outbox`), organizer webhooks (`webhooks.service`),
  erasures (`identity.erasures`) — are re-driven by `infra.redrive` when still pending;
- `orders.announced` (order_paid ...): `tickets.reconcile` walks paid orders and issues
  what was missed; `webhooks.reconcile` walks subscribed organizations' recently changed
  orders and stores the organizer webhooks missed;
- "payment changed": a buyer's read settles the order from its payment
  (`OrderService.for_buyer_as_it_stands`), the deadline sweep (`orders.expire`) settles
  or releases pending orders, and `orders.reconcile_money` refunds money without a sale.
A new job type a request defers must come with such a recovery (an `infra.redrive.Outbox`
for a record that waits for it).
"""

from __future__ import annotations

import logging

from ticketsafe.infra.jobs import JobBuffer, JobQueue
from ticketsafe.infra.problem_handlers import STORE_ERRORS

log = logging.getLogger("ticketsafe.jobs")


async def send_after_answer(jobs: JobBuffer, queue: JobQueue) -> None:
    """Send a request's deferred jobs once its answer is out (see the module's rule)."""
    if not jobs.jobs:
        return
    names = [job.name for job, _ in jobs.jobs]
    try:
        await jobs.flush(queue)
    except STORE_ERRORS as exc:
        log.warning("jobs not queued (%s): %s", type(exc).__name__, ", ".join(names))
