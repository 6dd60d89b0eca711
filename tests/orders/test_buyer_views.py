"""What a buyer reads back: a hold that became an order says so, `/me/orders` shows each
payment as `GET /orders/{id}` does, and a PIX payment gives its transaction id."""

from __future__ import annotations

from tests.orders.conftest import Sale, run_jobs
from ticketsafe.roles.worker import Worker


async def test_a_hold_that_became_an_order_names_it(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 2})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    got = await sale.client.get(f"/events/{sale.event_id}/holds/{hold['hold_id']}", headers=buyer)
    assert got.status_code == 410
    problem = got.json()
    assert problem["code"] == "hold_converted"
    assert problem["order_id"] == order["id"]
    assert order["id"] in problem["detail"]


async def test_another_buyer_does_not_learn_the_order(sale: Sale) -> None:
    buyer, other = sale.buyer("usr_1"), sale.buyer("usr_2")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    await sale.checkout(buyer, hold, method="pix")
    got = await sale.client.get(f"/events/{sale.event_id}/holds/{hold['hold_id']}", headers=other)
    assert got.status_code == 410
    assert got.json()["code"] == "hold_expired"
    assert "order_id" not in got.json()


async def test_a_released_hold_still_says_expired(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    url = f"/events/{sale.event_id}/holds/{hold['hold_id']}"
    assert (await sale.client.delete(url, headers=buyer)).status_code == 204
    got = await sale.client.get(url, headers=buyer)
    assert (got.status_code, got.json()["code"]) == (410, "hold_expired")


async def test_my_orders_show_each_payment_as_the_order_does(sale: Sale) -> None:
    buyer = sale.buyer("usr_1")
    ids = []
    for quantity in (1, 2):
        hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": quantity})
        ids.append((await sale.checkout(buyer, hold, method="pix")).json()["id"])
    mine = (await sale.client.get("/me/orders", headers=buyer)).json()["items"]
    assert sorted(o["id"] for o in mine) == sorted(ids)
    for listed in mine:
        alone = (await sale.client.get(f"/orders/{listed['id']}", headers=buyer)).json()
        assert listed["payment"] is not None
        assert listed["payment"] == alone["payment"]
        assert listed["payment"]["method"] == "pix"


async def test_pix_is_paid_in_the_sandbox_from_the_answer_alone(sale: Sale, worker: Worker) -> None:
    buyer = sale.buyer("usr_1")
    hold = await sale.hold(buyer, {"kind": "ga", "area_id": "pista", "quantity": 1})
    order = (await sale.checkout(buyer, hold, method="pix")).json()
    instructions = order["payment"]["instructions"]
    assert instructions["pix_txid"] in instructions["pix_copia_e_cola"]  # the BR Code's own
    assert instructions["sandbox_pay_url"] == f"/sandbox-psp/v1/pix/{instructions['pix_txid']}/pay"
    assert (await sale.client.post(instructions["sandbox_pay_url"])).status_code == 200
    await run_jobs(worker)
    got = await sale.client.get(f"/orders/{order['id']}", headers=buyer)
    assert got.json()["status"] == "paid"
    mine = (await sale.client.get("/me/orders", headers=buyer)).json()["items"]
    assert [(o["status"], o["payment"]["status"]) for o in mine] == [("paid", "captured")]
