"""Online check-in: a gate device sends what it scanned; the server judges it
(`checkin.verifier`) and marks the ticket used.

Once only: the mark is a guarded update on the ticket (`valid`, this version, not used
yet). Two gates scanning one ticket at the same instant both judge it admissible; only
one update matches, and the loser re-reads the ticket and answers "already used at gate
X at HH:MM" like any later scan.

Per scan: the caller's gate grant (read from the database every time, so a revoked
steward stops at the next scan), the device's rate limit (one Redis call), the ticket
(one read) and, to admit, the guarded update. The event's public key, code policy and
sales view are cached by the process (see `tickets.signing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ticketsafe.catalog.read_models import EventSalesView, get_sales_view
from ticketsafe.checkin.errors import NotGateStaff, refusal_error
from ticketsafe.checkin.verifier import Refusal, TicketState, Verdict, judge, read_code, refuse
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.errors import Conflict
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


class CheckinService:
    def __init__(
        self, db: Database, redis: RedisClient, tickets: TicketService, settings: Settings
    ) -> None:
        self.db = db
        self.tickets = tickets
        self.settings = settings
        self.limiter = RateLimiter(redis)
        self.rate = Rate(
            int(settings.checkin_device_scans_per_s * 10), 10.0, settings.checkin_device_burst
        )

    async def gate_event(
        self, orgs: OrganizationService, user: Principal, event_id: str
    ) -> EventSalesView:
        view = await get_sales_view(self.db, event_id, max_age_s=_VIEW_MAX_AGE_S)
        if not await orgs.is_gate_staff(user.user_id, event_id, view.org_id):
            raise NotGateStaff(event_id=event_id)
        return view

    async def scan(self, view: EventSalesView, gate: str, device: str, code: str) -> Admission:
        """Admit, or raise the refusal (`checkin.errors`)."""
        key = f"ts:{{{view.event_id}}}:checkin:device:{device}"
        await self.limiter.hit(key, self.rate, what="scans from this device")
        verdict = read_code(code, view.event_id, await self._public_key(view.event_id))
        if verdict.scanned is None or not verdict.admitted:
            raise refusal_error(verdict)
        scanned = verdict.scanned
        ticket = await self.tickets.get(scanned.claims.ticket_id)
        now = datetime.now(UTC)
        verdict = await self._judge(view, scanned, ticket, now)
        if not verdict.admitted or ticket is None:
            raise refusal_error(verdict)
        if not await self.tickets.admit(ticket, gate, device, now):
            # Another scan won the guarded update meanwhile: say what it did.
            ticket = await self.tickets.get(ticket.id)
            verdict = await self._judge(view, scanned, ticket, now)
            if verdict.admitted:  # nothing explains the lost update: let the gate retry
                raise Conflict("the ticket changed during the scan; scan again")
            raise refusal_error(verdict)
        return Admission(ticket.id, ticket.place, ticket.ticket_type_id, scanned.kind, gate, now)

    async def _judge(
        self, view: EventSalesView, scanned: ScannedCode, ticket: Ticket | None, now: datetime
    ) -> Verdict:
        if ticket is None or ticket.event_id != view.event_id:
            return refuse(Refusal.NOT_TICKETSAFE, scanned)
        policy = await self.tickets.keys.policy(view.event_id)
        return judge(
            scanned, state_of(self.tickets, ticket), static_accepted=policy.static_codes,
            at=now, window_steps=self.settings.checkin_window_steps, timezone=view.timezone,
        )  # fmt: skip

    async def _public_key(self, event_id: str) -> bytes | None:
        try:
            return await self.tickets.keys.public_key(event_id)
        except EventKeysNotFound:  # no ticket was ever issued for it
            return None


def state_of(tickets: TicketService, ticket: Ticket) -> TicketState:
    return TicketState(
        version=ticket.version,
        revoked=ticket.status is TicketStatus.REVOKED,
        secret=tickets.secret_of(ticket),
        used_at=ticket.used_at,
        used_gate=ticket.used_gate,
    )
