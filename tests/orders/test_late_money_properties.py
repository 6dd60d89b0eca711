"""Invariant 7 as a property, against the real servers: whatever ends an order
(its buyer cancels, the deadline sweep expires it, the organizer refunds it, nothing)
and in whatever order the money and the news of it arrive (paid before or after the
end, the webhook late, twice, or never, the reconciliation running in between), at rest:

- money the PSP holds for an order ⇒ the order holds a live sale for it (paid, with its
  units; or still pending, its sale committed), else the money was refunded and the
  refund recorded, on our books and at the PSP;
- never two refunds of the same money;
- never a refund of a paid order that still holds its sale.

Every order end × payment method × arrival order below is run as an explicit example;
Hypothesis adds random schedules of the same steps on top.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import psp
from tests.orders.conftest import Sale, run_jobs
from tests.orders.test_checkout import VISA_3DS, card
from tests.orders.test_late_money import charge_of, psp_events
from ticketsafe.infra.jobs import STREAM, URGENT_STREAM, JobBuffer
from ticketsafe.infra.ratelimit import Rate
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.orders import late_money
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.roles.worker import Worker
from ticketsafe.services import Services
from ticketsafe.tasks import periodic_tasks

METHODS = ("pix", "card_3ds")
ENDS = ("cancel", "expire", "refund", "none")
# pay: the payer's bank settles the BR Code / the buyer approves the card's challenge;
# deliver: the PSP delivers the webhooks it held back, then the worker runs every
# queued job (payments.changed...); duplicate: every PSP event of the charge delivered
# again, twice at once; lose: the webhooks held back are lost in transit, and every
# queued job too (a killed process, Redis losing its last second);
# end: the order's end (ENDS); reconcile: one pass of the periodic reconciliation.
STEPS = ("pay", "deliver", "duplicate", "lose", "end", "reconcile")
ARRIVALS: tuple[tuple[str, ...], ...] = (
    ("pay", "deliver", "end"),  # paid and told before the end
    ("pay", "end", "deliver"),  # paid before the end, told after it
    ("end", "pay", "deliver"),  # paid after the end
    ("end", "pay", "deliver", "duplicate"),  # ... and told twice more
    ("end", "pay", "lose"),  # paid after the end, never told
    ("pay", "lose", "end"),  # paid before the end, never told
    ("end", "reconcile", "pay", "deliver"),  # the reconciliation ran before the money came
    ("end",),  # never paid
)
UNIT_CENTS = 5_000  # one GA unit of the test event
_buyers = itertools.count()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Every card example tokenises a card: more than the per-address rate allows."""
    limits = settings.rate_limits.model_copy(
        update={"card_tokenizations_per_ip": Rate(count=100_000, period_s=60, burst=100_000)}
    )
    return settings.model_copy(update={"rate_limits": limits})


@dataclass
class Run:
    sale: Sale
    resources: Resources
    worker: Worker
    method: str
    end: str
    buyer: dict[str, str]
    order: dict[str, Any]
    # The PSP's webhooks for this charge are held back (its test control) and delivered
    # by these steps, in the order drawn: handed over once, lost, or delivered again.
    handled: set[str] = field(default_factory=set)

    async def step(self, name: str) -> None:
        await getattr(self, f"_{name}")()

    async def _pay(self) -> None:
        charge = await charge_of(self.resources, self.order["id"])
        if self.method == "pix":
            url = f"/sandbox-psp/v1/pix/{charge.removeprefix('pix_')}/pay"
            r = await self.sale.client.post(url, headers=self.buyer)
        else:
            r = await self.sale.client.post(
                f"/sandbox-psp/v1/challenges/{charge}", json={"outcome": "approve"},
                headers=self.buyer,
            )  # fmt: skip
        # 409: the gateway voided the card's authorisation when the order ended.
        assert r.status_code in (200, 409), r.text

    async def _events(self) -> list[str]:
        charge = await charge_of(self.resources, self.order["id"])
        return await psp.events(self.resources.settings, charge)

    async def _deliver(self) -> None:
        for event_id in await self._events():
            if event_id not in self.handled:
                self.handled.add(event_id)
                await psp.deliver(self.resources.settings, event_id)
        await run_jobs(self.worker)

    async def _duplicate(self) -> None:
        settings = self.resources.settings
        for event_id in await self._events():
            for _ in range(2):  # the replay guard forgotten (as after a Redis flush)
                await self.resources.redis.delete(f"ts:webhooks:seen:sandbox:{event_id}")
                await asyncio.gather(
                    psp.deliver(settings, event_id), psp.deliver(settings, event_id)
                )
        await run_jobs(self.worker)

    async def _lose(self) -> None:
        """The webhooks not delivered yet are lost, and so are the queued jobs."""
        self.handled.update(await self._events())
        await self.resources.redis.delete(STREAM, URGENT_STREAM)

    async def _reconcile(self) -> None:
        await reconcile(self.resources)

    async def _end(self) -> None:
        order_id = self.order["id"]
        if self.end == "cancel":
            r = await self.sale.client.post(
                f"/orders/{order_id}/cancel", json={"reason": "r"}, headers=self.buyer
            )
            assert r.status_code in (200, 409), r.text  # 409: paid, or its money came first
        elif self.end == "expire":
            past = datetime.now(UTC) - timedelta(minutes=1)
            await self.resources.db["orders"].update_one(
                {"_id": order_id}, {"$set": {"payment_deadline": past}}
            )
            services = Services.build(self.worker.resources)
            (task,) = [t for t in periodic_tasks(services) if t.name == "orders.expire"]
            await task.run(self.worker.context)
        elif self.end == "refund":
            r = await self.sale.client.post(
                f"/orgs/org_a/orders/{order_id}/refund", json={"reason": "r"},
                headers=self.sale.organizer,
            )  # fmt: skip
            assert r.status_code in (200, 409), r.text  # 409: not paid (yet)


async def reconcile(resources: Resources) -> int:
    ctx = ProviderContext(
        resources.db, resources.redis, JobBuffer(), resources.settings, resources.http
    )
    try:
        return await late_money.reconcile(ctx, settled_for=timedelta(0))
    finally:
        await ctx.jobs.flush(resources.queue)


def _normalised(steps: list[str]) -> tuple[str, ...]:
    """Money arrives once and an order ends once: later repeats are dropped."""
    seen: set[str] = set()
    kept = []
    for name in steps:
        if name in ("pay", "end") and name in seen:
            continue
        seen.add(name)
        kept.append(name)
    return tuple(kept)


def _every_combination(test: Any) -> Any:
    for method, end, arrival in itertools.product(METHODS, ENDS, ARRIVALS):
        test = example(method=method, end=end, schedule=arrival)(test)
    return test


@_every_combination
@given(
    method=st.sampled_from(METHODS),
    end=st.sampled_from(ENDS),
    schedule=st.lists(st.sampled_from(STEPS), max_size=7).map(_normalised),
)
@hypothesis_settings(
    max_examples=8, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
async def test_money_is_never_kept_without_a_live_sale(
    sale: Sale,
    resources: Resources,
    worker: Worker,
    method: str,
    end: str,
    schedule: tuple[str, ...],
) -> None:
    buyer = sale.buyer(f"usr_p{next(_buyers)}")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    if method == "pix":
        r = await sale.checkout(buyer, hold, method="pix")
    else:
        token = await card(sale.client, VISA_3DS)
        r = await sale.checkout(buyer, hold, method="card_sandbox", card_token=token)
    assert r.status_code == 201, r.text
    run = Run(sale, resources, worker, method, end, buyer, dict(r.json()))
    charge = await charge_of(resources, run.order["id"])
    await psp.control(resources.settings, charge, drop_webhooks=True)
    for name in schedule:
        await run.step(name)
    # At rest: every queued job run, one reconciliation pass, and what it queued.
    await run_jobs(worker)
    await reconcile(resources)
    await run_jobs(worker)
    await _check(run)
    await _free_the_unit(run)


async def _check(run: Run) -> None:
    db, order_id = run.resources.db, run.order["id"]
    order = await db["orders"].find_one({"_id": order_id})
    payment = await db["payments"].find_one({"order_id": order_id})
    assert order is not None
    assert payment is not None
    charge = await psp.charge(run.resources.settings, str(payment["provider_ref"]))
    captured = charge["captured_cents"]
    ours = payment["captured_cents"] - payment["refunded_cents"]
    theirs = captured - charge["refunded_cents"]
    refunds = len(await psp_events(run.resources, order_id, "charge.refunded"))
    late = await db["audit_log"].count_documents(
        {"subject": order_id, "action": late_money.LATE_MONEY_REFUNDED}
    )
    units = await db["inventory_units"].count_documents({"order_id": order_id})
    state = (order["status"], payment["status"], ours, theirs, refunds, late, units)
    assert refunds <= 1, state  # never two refunds
    assert late <= 1, state
    assert payment["refunded_cents"] <= payment["captured_cents"], state
    if order["status"] == "paid":  # a live sale: its money kept, never refunded
        assert (ours, theirs, refunds, late, units) == (UNIT_CENTS, UNIT_CENTS, 0, 0, 1), state
    elif order["status"] == "pending_payment":  # its sale still committed, no money kept
        assert (ours, refunds, late, units) == (0, 0, 0, 1), state
    else:  # no live sale: no money kept; any money that came was refunded, and recorded
        assert order["status"] in ("cancelled", "expired", "refunded"), state
        assert (ours, theirs, units) == (0, 0, 0), state
        assert refunds == (1 if captured else 0), state
        assert payment["refunded_cents"] == payment["captured_cents"], state
        organizer_refund = order["status"] == "refunded"
        assert late == (1 if captured and not organizer_refund else 0), state


async def _free_the_unit(run: Run) -> None:
    """The next example needs a GA unit: give back the one this order kept."""
    order = await run.resources.db["orders"].find_one({"_id": run.order["id"]})
    assert order is not None
    if order["status"] == "paid":
        url = f"/orgs/org_a/orders/{order['_id']}/refund"
        r = await run.sale.client.post(url, json={"reason": "r"}, headers=run.sale.organizer)
    elif order["status"] == "pending_payment":
        url = f"/orders/{order['_id']}/cancel"
        r = await run.sale.client.post(url, json={"reason": "r"}, headers=run.buyer)
    else:
        return
    assert r.status_code == 200, r.text
    await run_jobs(run.worker)
