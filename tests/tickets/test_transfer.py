"""Transfer by e-mail: the receiver accepts logged in; the old code stops working."""

from __future__ import annotations

import httpx

from tests.checkin.conftest import Gate, gate
from tests.orders.conftest import Headers
from ticketsafe.infra.resources import Resources
from ticketsafe.mail.outbox import OUTBOX

__all__ = ["gate"]
ONE = {"kind": "seats", "seat_ids": ["A:r-2:s-3"]}


async def register(client: httpx.AsyncClient, email: str) -> str:
    r = await client.post(
        "/auth/register",
        json={"email": email, "password": "correct horse battery", "name": "Bia Lima"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def offer(gate: Gate, holder: Headers, ticket_id: str, email: str) -> httpx.Response:
    return await gate.sale.client.post(
        f"/me/tickets/{ticket_id}/transfers", json={"email": email}, headers=holder
    )


async def test_a_transferred_tickets_old_code_stops_working(
    gate: Gate, resources: Resources
) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    receiver = gate.sale.buyer(await register(gate.sale.client, "bia@example.com.br"))
    stranger = gate.sale.buyer(await register(gate.sale.client, "caio@example.com.br"))
    r = await offer(gate, gate.sale.buyer("usr_1"), ticket["id"], "Bia@Example.com.br")
    assert r.status_code == 201, r.text
    transfer_id = r.json()["id"]
    assert await resources.db[OUTBOX].count_documents({"template": "tickets.transfer_offer"}) == 1
    accept_url = f"/ticket-transfers/{transfer_id}/accept"
    refused = await gate.sale.client.post(accept_url, headers=stranger)
    assert refused.status_code == 404  # the link alone is not enough: the account's e-mail
    taken = await gate.sale.client.post(accept_url, headers=receiver)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["version"], taken.json()["status"]) == (2, "valid")
    assert (await gate.sale.client.post(accept_url, headers=receiver)).status_code == 404
    old_holder = await gate.sale.client.get(
        f"/me/tickets/{ticket['id']}/live-code", headers=gate.sale.buyer("usr_1")
    )
    assert old_holder.status_code == 404
    old = await gate.scan(ticket["live_code"])
    assert (old.status_code, old.json()["code"]) == (410, "superseded")
    new = await gate.sale.client.get(f"/me/tickets/{ticket['id']}/live-code", headers=receiver)
    assert new.json()["code"] != ticket["code"]
    assert (await gate.scan(new.json()["live_code"])).status_code == 200


async def test_the_event_limits_transfers_per_ticket(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    receiver_id = await register(gate.sale.client, "bia@example.com.br")
    r = await offer(gate, gate.sale.buyer("usr_1"), ticket["id"], "bia@example.com.br")
    accepted = await gate.sale.client.post(
        f"/ticket-transfers/{r.json()['id']}/accept", headers=gate.sale.buyer(receiver_id)
    )
    assert accepted.status_code == 200, accepted.text
    again = await offer(gate, gate.sale.buyer(receiver_id), ticket["id"], "caio@example.com.br")
    assert (again.status_code, again.json()["code"]) == (422, "transfer_limit_reached")
    theirs = await offer(gate, gate.sale.buyer("usr_1"), ticket["id"], "caio@example.com.br")
    assert theirs.status_code == 404  # no longer the first buyer's ticket


async def test_a_used_ticket_cannot_be_transferred(gate: Gate) -> None:
    [ticket] = await gate.tickets("usr_1", ONE)
    assert (await gate.scan(ticket["live_code"])).status_code == 200
    r = await offer(gate, gate.sale.buyer("usr_1"), ticket["id"], "bia@example.com.br")
    assert (r.status_code, r.json()["code"]) == (409, "ticket_not_transferable")
