"""Money that arrives for an order holding no live sale is returned (invariant 7)."""

from __future__ import annotations

from typing import Any

from tests.orders.conftest import Sale, run_jobs
from tests.orders.test_lifecycle import _pay_pix
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker


async def _pix_order(sale: Sale, user: str, seat: str) -> dict[str, Any]:
    hold = await sale.hold(sale.buyer(user), {"kind": "seats", "seat_ids": [seat]})
    r = await sale.checkout(sale.buyer(user), hold, method="pix")
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_a_pix_order_cancelled_then_paid_is_refunded(
    sale: Sale, resources: Resources, worker: Worker
) -> None:
    order = await _pix_order(sale, "usr_1", "A:r-1:s-1")
    r = await sale.client.post(
        f"/orders/{order['id']}/cancel", json={"reason": "changed my mind"},
        headers=sale.buyer("usr_1"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    await _pay_pix(sale, resources, order["id"])
    await run_jobs(worker)
    got = (await sale.client.get(f"/orders/{order['id']}", headers=sale.buyer("usr_1"))).json()
    assert (got["status"], got["payment"]["status"]) == ("cancelled", "refunded")
