"""Ticket lists: the holder's and the organizer's, with cursor pagination, and nobody
else's across tenants."""

from __future__ import annotations

from tests.checkin.conftest import Gate, gate
from ticketsafe.identity.principal import Principal, Role

__all__ = ["gate"]


async def test_lists_page_with_a_cursor_and_stay_in_their_tenant(gate: Gate) -> None:
    sale = gate.sale
    await gate.tickets("usr_1", {"kind": "ga", "area_id": "pista", "quantity": 3})
    await gate.tickets("usr_2", {"kind": "seats", "seat_ids": ["A:r-1:s-1", "A:r-1:s-2"]})
    url = f"/orgs/org_a/events/{sale.event_id}/tickets"
    seen: list[str] = []
    after: str | None = None
    while True:
        params = {"limit": "2", **({"after": after} if after else {})}
        page = (await sale.client.get(url, params=params, headers=sale.organizer)).json()
        seen += [t["id"] for t in page["items"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen)
    mine = (await sale.client.get("/me/tickets", headers=sale.buyer("usr_1"))).json()
    assert len(mine["items"]) == 3
    assert mine["next_cursor"] is None
    assert (
        await sale.client.get(url, params={"status": "revoked"}, headers=sale.organizer)
    ).json()["items"] == []
    # Another organization's organizer, or a token still naming org_a after removal:
    # the event does not exist for them.
    other = Principal("usr_other", frozenset({Role.ORGANIZER}), ("org_b",))
    r = await sale.client.get(url.replace("org_a", "org_b"), headers=sale.buyer(other.user_id))
    assert r.status_code == 404
    stale = Principal("usr_gone", frozenset({Role.ORGANIZER}), ("org_a",))
    token = sale.app.state.services.token_codec.issue(stale)
    r = await sale.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404  # membership is read from the database, not the token
