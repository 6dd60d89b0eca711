"""Check-in API: gate staff scan codes; organizers watch the counts. Thin: schema, auth,
one service call. Refusals answer problem+json whose `code` is the reason and whose
`detail` is what the steward should do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import TypeAdapter

from ticketsafe.checkin.deps import CheckinDep
from ticketsafe.checkin.offline import unb64
from ticketsafe.checkin.schemas import (
    AdmissionOut,
    BundleIn,
    ScanIn,
    StatsOut,
    SyncIn,
    SyncOut,
)
from ticketsafe.checkin.service import CheckinService
from ticketsafe.checkin.stats import admissions_changed, counts
from ticketsafe.checkin.sync import SyncedScan, build_bundle, duplicates_of, sync
from ticketsafe.identity.deps import CurrentUser, OrganizationServiceDep, fast_read_as_user
from ticketsafe.infra.deps import DbDep
from ticketsafe.infra.errors import BusinessRuleViolation
from ticketsafe.infra.fastlane import FastRequest, FastResponse, FastRoute
from ticketsafe.tickets.deps import organizer_event

router = APIRouter(tags=["checkin"])


@router.post("/events/{event_id}/checkin/scans", operation_id="checkin_scan")
async def scan(
    event_id: str, body: ScanIn, user: CurrentUser, orgs: OrganizationServiceDep,
    checkin: CheckinDep,
) -> AdmissionOut:  # fmt: skip
    """Admit a ticket once (200), or refuse with the reason (400/409/410)."""
    view = await checkin.gate_event(orgs, user, event_id)
    return AdmissionOut.of(await checkin.scan(view, body.gate, body.device_id, body.code))


_SCAN_IN: TypeAdapter[ScanIn] = TypeAdapter(ScanIn)
_ADMISSION_OUT: TypeAdapter[AdmissionOut] = TypeAdapter(AdmissionOut)


async def fast_scan(request: FastRequest) -> FastResponse | None:
    """`scan` on the fast lane (a gate rush is a hot path: FastAPI's route machinery was
    most of a scan's CPU); anything unusual goes to the route above."""
    body = request.json_as(_SCAN_IN)
    if body is None:
        return None
    services = request.app.state.services
    checkin: CheckinService = services.checkin
    orgs = services.organizations
    event_id = request.params["event_id"]
    # The session check and the gate-staff read (both Redis, no side effect) share one
    # round trip; a revoked session still gets its 401 before anything is scanned.
    view = await fast_read_as_user(request, lambda user: checkin.gate_event(orgs, user, event_id))
    admission = await checkin.scan(view, body.gate, body.device_id, body.code)
    return FastResponse(200, _ADMISSION_OUT.dump_json(AdmissionOut.of(admission)))


# Behind the idempotency middleware (see `FastLane`), as the route.
FAST_ROUTES = [FastRoute("POST", "/events/{event_id}/checkin/scans", fast_scan)]


@router.post("/events/{event_id}/checkin/bundles", operation_id="checkin_bundle")
async def bundle(
    event_id: str, body: BundleIn, user: CurrentUser, orgs: OrganizationServiceDep,
    checkin: CheckinDep,
) -> dict[str, Any]:  # fmt: skip
    """The offline bundle for one device (rotation secrets sealed for its X25519 key)."""
    view = await checkin.gate_event(orgs, user, event_id)
    try:
        key = unb64(body.device_public_key)
    except ValueError:
        raise BusinessRuleViolation("not a base64url key", code="bad_device_key") from None
    return await build_bundle(checkin.tickets, checkin.settings, view, body.device_id, key)


@router.post("/events/{event_id}/checkin/sync", operation_id="checkin_sync")
async def sync_offline(
    event_id: str, body: SyncIn, *, user: CurrentUser, orgs: OrganizationServiceDep,
    checkin: CheckinDep, db: DbDep,
) -> SyncOut:  # fmt: skip
    """Apply an offline device's admissions; report the tickets admitted twice."""
    await checkin.gate_event(orgs, user, event_id)
    scans = [SyncedScan(s.ticket_id, s.version, s.gate, s.at, s.code) for s in body.scans]
    report = await sync(db, checkin.tickets, event_id, body.device_id, scans)
    if report.accepted:
        admissions_changed(checkin.redis, event_id)  # the organizer's live stats
    return SyncOut(**vars(report))


@router.get("/orgs/{org_id}/events/{event_id}/checkin/duplicates", operation_id="checkin_dups")
async def duplicates(
    org_id: str, event_id: str, *, user: CurrentUser, orgs: OrganizationServiceDep, db: DbDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:  # fmt: skip
    """Tickets admitted more than once, with both devices, gates and times."""
    await organizer_event(db, orgs, user, org_id, event_id)
    return await duplicates_of(db, event_id, limit)


@router.get("/orgs/{org_id}/events/{event_id}/checkin/stats", operation_id="checkin_stats")
async def stats(
    org_id: str, event_id: str, *, user: CurrentUser, orgs: OrganizationServiceDep, db: DbDep,
    checkin: CheckinDep,
) -> StatsOut:  # fmt: skip
    """Admissions so far, per gate and per 5-minute slot."""
    view = await organizer_event(db, orgs, user, org_id, event_id)
    admissions = await checkin.tickets.admissions(event_id)
    per_gate, per_slot = counts(admissions, view.timezone)
    return StatsOut(
        event_id=event_id, admitted=len(admissions), per_gate=per_gate, per_slot=per_slot
    )
