"""An order's state change reaches its buyer's live `me` channel, through the orders'
announcement and the worker (never the request's path)."""

from __future__ import annotations

from typing import Any

import orjson

from tests.orders.conftest import ORG, Sale, run_jobs
from tests.orders.conftest import sale as sale  # noqa: PLC0414 - fixtures, re-exported
from tests.orders.conftest import worker as worker  # noqa: PLC0414
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker


async def test_a_transfer_marked_paid_shows_on_the_buyers_channel(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    buyer = sale.buyer("usr_ana")
    hold = await sale.hold(buyer, {"kind": "seats", "seat_ids": ["A:r-1:s-1"]})
    order = (await sale.checkout(buyer, hold, method="bank_transfer")).json()
    before: Any = await resources.redis.xrange("ts:live:user:usr_ana")
    assert [f[b"type"] for _, f in before] == [b"hold"]  # no order message yet
    paid = await sale.client.post(
        f"/orgs/{ORG}/orders/{order['id']}/mark-paid", headers=sale.organizer
    )
    assert paid.status_code == 200, paid.text
    await run_jobs(worker)
    entries: Any = await resources.redis.xrange("ts:live:user:usr_ana")
    orders = [orjson.loads(f[b"data"]) for _, f in entries if f[b"type"] == b"order"]
    assert {"order_id": order["id"], "event_id": sale.event_id, "status": "paid",
            "version": orders[-1]["version"]} in orders  # fmt: skip
    assert not await resources.redis.exists("ts:live:user:usr_org")  # only the buyer's
