"""The sandbox PSP's own API, as tests reach it (a third party's dashboard, so to speak):
a charge as it stands, its events, a delivery made again, and its test controls."""

from __future__ import annotations

from typing import Any

import httpx

from ticketsafe.infra.settings import Settings


async def _call(settings: Settings, method: str, path: str, **kwargs: Any) -> Any:
    assert settings.sandbox_psp_url is not None
    async with httpx.AsyncClient(base_url=settings.sandbox_psp_url + "/v1") as psp:
        response = await psp.request(method, path, **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


async def charge(settings: Settings, charge_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await _call(settings, "GET", f"/charges/{charge_id}")
    return found


async def events(settings: Settings, charge_id: str, kind: str | None = None) -> list[str]:
    """Ids of the charge's events (of this kind), oldest first."""
    found = await _call(settings, "GET", "/events", params={"charge_id": charge_id})
    return [str(e["id"]) for e in found if kind is None or e["type"] == kind]


async def deliver(settings: Settings, event_id: str) -> bool:
    """The PSP delivers the event (again) to where the charge notifies, now."""
    return bool((await _call(settings, "POST", f"/events/{event_id}/deliver"))["delivered"])


async def control(
    settings: Settings, charge_id: str, *, drop_webhooks: bool = False,
    refuse_refunds: bool = False,
) -> None:  # fmt: skip
    """From now on, the charge's webhooks are lost in transit / its refunds refused."""
    body = {"drop_webhooks": drop_webhooks, "refuse_refunds": refuse_refunds}
    await _call(settings, "POST", f"/testing/charges/{charge_id}", json=body)
