"""Online check-in: a gate device sends what it scanned; the server judges it
(`checkin.verifier`) and marks the ticket used.

Once only: the mark is an admission in the tickets' journal whose primary key is the
ticket id, kept only if the ticket is still valid at the scanned version
(`tickets.marks`). Two gates scanning one ticket at the same instant both judge it
admissible; one insert wins, and the loser reads the ticket and answers "already used
at gate X at HH:MM" like any later scan.

Retries: a scan may carry the device's own id for it (the request's `Idempotency-Key`,
kept hashed on the admission as its `retry_key`). A try that finds the ticket already
used by that same scan is answered as admitted again, with the first try's gate and
time; the ticket as it stands is judged first, so a ticket refunded or transferred
since is refused as it would be. The scan keeps no other record and no kept answer: a
retried refusal is judged again.

Per admitted scan: the session check, the gate-staff check and the device's rate limit
in one Redis round trip (grants are cached with the memberships and forgotten on every
grant, revocation or membership change, so a revoked steward stops at the next scan;
the rate limit counts a device per steward, so that nobody else can use up a gate's
scans), and the journal insert and the ticket read, each group-committed with the
scans of the moment; a refusal reads the ticket too. The event's private key (loaded
once: a code is checked by signing it again, a third of a verification's cost),
rotation key, code policy and sales view are cached by the process (see
`tickets.signing`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.checkin.errors import NotGateStaff, refusal_error
from ticketsafe.checkin.metrics import CHECKIN_REFUSALS, CHECKINS, REASONS
from ticketsafe.checkin.stats import AdmissionMarks
from ticketsafe.checkin.verifier import Refusal, TicketState, Verdict, judge, read_code, refuse
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.errors import Conflict, TicketSafeError
from ticketsafe.infra.hash_tags import event_prefix
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.ratelimit import Rate, RateLimiter
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings
from ticketsafe.tickets.codes import ScannedCode
from ticketsafe.tickets.models import Ticket, TicketStatus
from ticketsafe.tickets.service import TicketService
from ticketsafe.tickets.signing import EventKeysNotFound

_VIEW_MAX_AGE_S = 5.0  # the event's org and timezone: they do not change during a show


@dataclass(frozen=True)
class Admission:
    ticket_id: str
    place: str
    ticket_type_id: str
    kind: str
    gate: str
    at: datetime
    replayed: bool = False  # the answer to an earlier try of the same scan


class CheckinService:
    def __init__(
        self, db: Database, redis: RedisClient, tickets: TicketService, settings: Settings
    ) -> None:
        self.db = db
        self.redis = redis
        self.tickets = tickets
        self.settings = settings
        self.limiter = RateLimiter(redis)
        self.marks = AdmissionMarks(redis)
        self.rate = Rate(
            count=int(settings.checkin_device_scans_per_s * 10),
            period_s=10.0,
            burst=settings.checkin_device_burst,
        )

    async def gate_event(
        self, orgs: OrganizationService, user: Principal, event_id: str
    ) -> EventSalesView:
        view = await get_sales_view(self.db, event_id, max_age_s=_VIEW_MAX_AGE_S)
        if not await orgs.is_gate_staff(user.user_id, event_id, view.org_id):
            raise NotGateStaff(event_id=event_id)
        return view

    async def gate_device(
        self, orgs: OrganizationService, user: Principal, event_id: str, device: str
    ) -> EventSalesView:
        """`gate_event`, with the device's scan counted against its rate in the same
        Redis round trip (a refusal as not gate staff wins over the rate limit)."""
        key = f"{event_prefix(event_id)}:checkin:device:{user.user_id}:{device}"
        view, counted = await asyncio.gather(
            self.gate_event(orgs, user, event_id),
            self.limiter.hit(key, self.rate, what="scans from this device"),
            return_exceptions=True,
        )
        if isinstance(view, BaseException):
            raise view
        if isinstance(counted, BaseException):
            raise counted
        return view

    async def scan(
        self, view: EventSalesView, gate: str, device: str, code: str,
        retry_key: str | None = None,
    ) -> Admission:  # fmt: skip
        """Admit, or raise the refusal (`checkin.errors`); both are counted. The caller
        has counted the device's scan (`gate_device`)."""
        try:
            admission = await self._scan(view, gate, device, code, retry_key)
        except TicketSafeError as exc:
            if exc.instance_code in REASONS:
                CHECKIN_REFUSALS.labels(exc.instance_code).inc()
            raise
        if not admission.replayed:
            CHECKINS.inc()
        return admission

    async def _scan(
        self, view: EventSalesView, gate: str, device: str, code: str, retry_key: str | None
    ) -> Admission:
        """Admit, or raise the refusal.

        The common case costs one write: the code's signature and version come from the
        code itself, its live-code secret from the event's rotation key (no read), and
        the journal's insert admits only a ticket still valid at that version and unused.
        Only a refusal (or a retry) reads the ticket, to say why."""
        verdict = read_code(code, view.event_id, await self._signing_key(view.event_id))
        if verdict.scanned is None or not verdict.admitted:
            raise refusal_error(verdict)
        scanned, claims, now = verdict.scanned, verdict.scanned.claims, _now_ms()
        secret = await self.tickets.keys.ticket_secret(
            view.event_id, claims.ticket_id, claims.version
        )
        as_signed = TicketState(version=claims.version, revoked=False, secret=secret)
        verdict = await self._judge(view, scanned, as_signed, now)
        if verdict.admitted and await self.tickets.admit(
            claims.ticket_id, view.event_id, claims.version, gate=gate, device=device, at=now,
            retry_key=retry_key,
        ):  # fmt: skip
            self.marks.changed(view.event_id)  # the organizer's live stats
            return Admission(
                claims.ticket_id, claims.place, claims.ticket_type_id, scanned.kind, gate, now
            )
        # Refused, or the update found the ticket used, revoked or transferred: the ticket
        # as it stands says which (a refusal of the code itself stands if it admits).
        ticket = await self.tickets.get(claims.ticket_id)
        if ticket is None or ticket.event_id != view.event_id:
            raise refusal_error(refuse(Refusal.NOT_TICKETSAFE, scanned))
        stands = await self._judge(view, scanned, await state_of(self.tickets, ticket), now)
        if stands.reason is Refusal.ALREADY_USED and retry_key and ticket.used_device == device:
            earlier = await self.tickets.earlier_try(claims.ticket_id, device, retry_key)
            if earlier is not None:  # used by this very scan: its answer, again
                at, first_gate = earlier
                return Admission(
                    claims.ticket_id, claims.place, claims.ticket_type_id, scanned.kind,
                    first_gate, at, replayed=True,
                )  # fmt: skip
        if stands.admitted:
            if not verdict.admitted:
                raise refusal_error(verdict)
            raise Conflict("the ticket changed during the scan; scan again")
        raise refusal_error(stands)

    async def _judge(
        self, view: EventSalesView, scanned: ScannedCode, state: TicketState, now: datetime
    ) -> Verdict:
        policy = await self.tickets.keys.policy(view.event_id)
        return judge(
            scanned, state, static_accepted=policy.static_codes, at=now,
            window_steps=self.settings.checkin_window_steps, timezone=view.timezone,
        )  # fmt: skip

    async def _signing_key(self, event_id: str) -> Ed25519PrivateKey | None:
        """The event's private key (loaded once per process, as for the holders' codes):
        the server checks a code by signing it again (`ScannedCode.issued_by`)."""
        try:
            return await self.tickets.keys.private_key(event_id)
        except EventKeysNotFound:  # no ticket was ever issued for it
            return None


def _now_ms() -> datetime:
    """Now, to the millisecond MongoDB keeps: a retry's answer repeats the first's time."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def state_of(tickets: TicketService, ticket: Ticket) -> TicketState:
    return TicketState(
        version=ticket.version,
        revoked=ticket.status is TicketStatus.REVOKED,
        secret=await tickets.secret_of(ticket),
        used_at=ticket.used_at,
        used_gate=ticket.used_gate,
    )
