"""An event with issued tickets and a steward allowed to scan at its gates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.orders.conftest import Headers, Sale, sale, worker
from tests.tickets.conftest import issued_order
from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.models import GateGrant, MemberRole
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.resources import Resources
from ticketsafe.roles.worker import Worker

__all__ = ["Gate", "gate", "sale", "worker"]
STEWARD = "usr_steward"


@dataclass
class Gate:
    sale: Sale
    worker: Worker
    steward: Headers

    async def tickets(self, user: str, hold: dict[str, Any]) -> list[dict[str, Any]]:
        """Issued tickets of a new paid order, each with its holder's live credentials."""
        _, tickets = await issued_order(self.sale, self.worker, user, hold)
        out = []
        for t in tickets:
            r = await self.sale.client.get(
                f"/me/tickets/{t['id']}/live-code", headers=self.sale.buyer(user)
            )
            assert r.status_code == 200, r.text
            out.append({**t, **r.json()})
        return out

    async def scan(
        self, code: str, gate: str = "North", device: str = "dev-1",
        client: httpx.AsyncClient | None = None, event_id: str | None = None,
    ) -> httpx.Response:  # fmt: skip
        return await (client or self.sale.client).post(
            f"/events/{event_id or self.sale.event_id}/checkin/scans",
            json={"code": code, "gate": gate, "device_id": device},
            headers=self.steward,
        )


async def grant_steward(resources: Resources, event_id: str, user_id: str = STEWARD) -> None:
    """A steward for the event, and the organizer a member of org_a in the database."""
    repo = IdentityRepository(resources.db)
    await repo.add_member("org_a", "usr_org", MemberRole.OWNER, datetime.now(UTC))
    await repo.grant_gate(GateGrant("org_a", event_id, user_id, "usr_org", datetime.now(UTC)))
    await MembershipCache(repo, resources.redis, ttl_s=1).invalidate(user_id)  # as the service


@pytest.fixture
async def gate(sale: Sale, worker: Worker, resources: Resources) -> Gate:
    await grant_steward(resources, sale.event_id)
    return Gate(sale, worker, sale.buyer(STEWARD))
