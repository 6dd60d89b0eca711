"""Check-in API: gate staff scan codes; organizers watch the counts. Thin: schema, auth,
one service call. Refusals answer problem+json whose `code` is the reason and whose
`detail` is what the steward should do."""

from __future__ import annotations

from fastapi import APIRouter

from ticketsafe.checkin.deps import CheckinDep
from ticketsafe.checkin.schemas import AdmissionOut, ScanIn
from ticketsafe.identity.deps import CurrentUser, OrganizationServiceDep

router = APIRouter(tags=["checkin"])


@router.post("/events/{event_id}/checkin/scans", operation_id="checkin_scan")
async def scan(
    event_id: str, body: ScanIn, user: CurrentUser, orgs: OrganizationServiceDep,
    checkin: CheckinDep,
) -> AdmissionOut:  # fmt: skip
    """Admit a ticket once (200), or refuse with the reason (400/409/410)."""
    view = await checkin.gate_event(orgs, user, event_id)
    return AdmissionOut.of(await checkin.scan(view, body.gate, body.device_id, body.code))
