"""Check-in API: gate staff scan codes; organizers watch the counts. Thin: schema, auth,
one service call. Refusals answer problem+json whose `code` is the reason and whose
`detail` is what the steward should do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import TypeAdapter

from ticketsafe.catalog.read_models import EventSalesView
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
from ticketsafe.checkin.stats import counts
from ticketsafe.checkin.sync import SyncedScan, build_bundle, duplicates_of, sync
from ticketsafe.identity.deps import CurrentUser, OrganizationServiceDep, fast_read_as_user
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.deps import DbDep
from ticketsafe.infra.errors import BusinessRuleViolation
from ticketsafe.infra.fastlane import FastRequest, FastResponse, FastRoute
from ticketsafe.infra.idempotency import record_id, user_owner, valid_key
from ticketsafe.infra.openapi import problems
from ticketsafe.tickets.deps import organizer_event

router = APIRouter(tags=["checkin"])


@router.post(
    "/events/{event_id}/checkin/scans", operation_id="checkin_scan",
    responses=problems(400, 409, 410, 429),
)  # fmt: skip
async def scan(
    event_id: str, body: ScanIn, request: Request, *, user: CurrentUser,
    orgs: OrganizationServiceDep, checkin: CheckinDep,
) -> AdmissionOut:  # fmt: skip
    """Admit a ticket once (200), or refuse with the reason (400/409/410); 429 when the
    device sends more scans than a gate can.

    Send an `Idempotency-Key` per physical scan, the same on every retry of it: a retry
    whose first try admitted the ticket is answered 200 again, with the first try's
    gate and time and `Idempotent-Replayed: true`, never `already_used` by itself. The
    key belongs to the device that sent it (another device, or another key, scanning
    the same code is refused as usual) and is matched against the admission, not a
    kept answer: a retried refusal is judged again, and a ticket refunded since the
    first try is refused."""
    view = await checkin.gate_device(orgs, user, event_id, body.device_id)
    key = request.headers.get("idempotency-key")
    admission = await checkin.scan(
        view, body.gate, body.device_id, body.code, retry_key_of(user, key)
    )
    return AdmissionOut.of(admission)


def retry_key_of(user: Principal, idempotency_key: str | None) -> str | None:
    """The caller's id for a scan, as kept on its admission: hashed with the caller, as
    the idempotency layer names its records, cut to 128 bits (it is written per scan)."""
    if idempotency_key is None:
        return None
    return record_id(user_owner(user.user_id), idempotency_key.strip())[:32]


_SCAN_IN: TypeAdapter[ScanIn] = TypeAdapter(ScanIn)
_ADMISSION_OUT: TypeAdapter[AdmissionOut] = TypeAdapter(AdmissionOut)
_REPLAYED = ((b"idempotent-replayed", b"true"),)


async def fast_scan(request: FastRequest) -> FastResponse | None:
    """`scan` on the fast lane (a gate rush is a hot path: FastAPI's route machinery was
    most of a scan's CPU); anything unusual goes to the route above. It keeps its own
    Idempotency-Key (see the route): no kept answer, no Redis record."""
    body = request.json_as(_SCAN_IN)
    if body is None:
        return None
    raw_key = request.header(b"idempotency-key")
    key = raw_key.decode("latin-1").strip() if raw_key is not None else None
    if key is not None and not valid_key(key):
        return None  # the idempotency middleware answers the canonical 422
    services = request.app.state.services
    checkin: CheckinService = services.checkin
    orgs = services.organizations
    event_id = request.params["event_id"]

    async def at_gate(user: Principal) -> tuple[EventSalesView, Principal]:
        return await checkin.gate_device(orgs, user, event_id, body.device_id), user

    # The session check, the gate-staff read and the device's rate limit share one Redis
    # round trip; a revoked session still gets its 401 before anything is scanned (its
    # scan counted against its own steward's device: nobody else's).
    view, user = await fast_read_as_user(request, at_gate)
    admission = await checkin.scan(
        view, body.gate, body.device_id, body.code, retry_key_of(user, key)
    )
    answer = _ADMISSION_OUT.dump_json(AdmissionOut.of(admission))
    return FastResponse(200, answer, headers=_REPLAYED if admission.replayed else ())


# The lane keeps the scan's Idempotency-Key itself (`own_idempotency`): before the
# idempotency middleware, which still answers what the lane declines.
FAST_ROUTES = [
    FastRoute("POST", "/events/{event_id}/checkin/scans", fast_scan, own_idempotency=True)
]


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
        checkin.marks.changed(event_id)  # the organizer's live stats
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
