"""The simulated on-sale: an organizer sets up the event, buyers go through the real API.

Every buyer is one account (token minted with the server's key: the benchmark is trusted,
sign-up is measured elsewhere) and follows what the web app does: fetch a proof-of-work
challenge, solve it, join the queue, poll until admitted, hold (best-available seats or GA
units), then check out with the sandbox card (most) or PIX (some, paid via the sandbox
PSP's webhook; a few pay late). Some abandon their hold, some retry a failed step.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bench.flashsale import http
from bench.flashsale.measure import Recorder
from ticketsafe.waitingroom.pow_client import solve

DEFAULT_CHECKOUT_TARGET_MS = 500  # the organizer's default `checkout_latency_target_ms`
ORG = "org_bench"
SECTION_ROW = 50  # seats per row


@dataclass(frozen=True)
class Preset:
    name: str
    seats: int
    ga: int
    buyers: int
    concurrency: int
    prequeue_share: float = 0.3  # share of buyers already waiting at on-sale
    arrival_window_s: float = 20.0  # the rest arrive over this window after on-sale
    pre_queue_s: float = 8.0  # from setting the sale up until on-sale (the pre-queue fills)
    admission_per_minute: int = 60_000
    # Auto admission instead: keep this many shoppers active (the waiting room lets the
    # next person in when one pays, is refused as sold out, or gives the hold back).
    target_active: int | None = None
    # Adaptive admission instead (`waitingroom.aimd`): between 60 a minute and
    # `admission_per_minute`, cut below the shop's pace while checkout p90 passes
    # `checkout_target_ms`, raised while it keeps up and fewer than `target_active`
    # (1,500 if unset) shop.
    adaptive: bool = False
    checkout_target_ms: int = DEFAULT_CHECKOUT_TARGET_MS
    # Where adaptive admission starts (the organizer's `rate_per_minute`): about the pace
    # these two cores sell at. Starting at the preset's 60,000 a minute let 1,500 people
    # in within two seconds (large: checkout p50 1.5 s, p99 3.3 s at `050c65f`).
    adaptive_start_per_minute: int = 3_000
    max_seconds: float = 600.0
    waiting_room: bool = True  # False: buyers hold as soon as the sale opens
    quantity: int | None = None  # tickets per hold (None: 1-4, as people buy)
    abandon_share: float = 0.08  # holds given back unpaid
    # "card_pix": the sandbox card (most) or PIX (some), paid during the sale;
    # "bank_transfer": one pending order per buyer, nothing to pay at once.
    payment: str = "card_pix"
    # The deployment `make run` gives: as many api processes as cores on one port and no
    # hold lane (`--api-processes` still sets their number).
    serve_shaped: bool = False

    @property
    def counted(self) -> tuple[str, str]:
        """The counters of orders and tickets the sale's pace and CPU are measured by:
        paid ones, or placed ones where nobody pays during the sale."""
        if self.payment == "bank_transfer":
            return "orders_placed", "tickets_placed"
        return "orders_paid", "tickets_sold"


PRESETS = {
    "smoke": Preset("smoke", seats=300, ga=300, buyers=1_000, concurrency=64, max_seconds=120),
    "medium": Preset("medium", seats=2_000, ga=2_000, buyers=6_000, concurrency=128,
                     arrival_window_s=30, max_seconds=600),
    # The full preset's shape at a fifth of its size (~10 minutes on these two cores):
    # 15,000 in the pre-queue for a minute, 35,000 more over five, auto admission.
    "large": Preset("large", seats=10_000, ga=10_000, buyers=50_000, concurrency=256,
                    arrival_window_s=300, pre_queue_s=60, target_active=1_500,
                    max_seconds=3_600),
    # 75,000 wait in the pre-queue over two minutes before on-sale, 175,000 more arrive
    # over the ten minutes after it (250,000 browsers in one minute is more than these
    # two cores can even hand proof-of-work challenges to).
    # Admitting faster than checkout can serve only makes admission tokens expire in line:
    # the full sale admits by completions (auto mode), 1,500 shoppers at a time.
    "full": Preset("full", seats=50_000, ga=50_000, buyers=250_000, concurrency=256,
                   arrival_window_s=600, pre_queue_s=120, target_active=1_500,
                   max_seconds=5_400),
    # Checkout latency on `make run`'s shape (issue #26): a GA flash sale of 2,000
    # tickets to 5,000 buyers, 64 in flight, one ticket per pending bank-transfer order,
    # no waiting room; everyone arrives within 2 s of the sale opening.
    "checkout": Preset("checkout", seats=0, ga=2_000, buyers=5_000, concurrency=64,
                       prequeue_share=0.0, arrival_window_s=2, pre_queue_s=2,
                       waiting_room=False, quantity=1, abandon_share=0.0,
                       payment="bank_transfer", serve_shaped=True, max_seconds=300),
}  # fmt: skip


# The waiting room's traffic goes over connections of its own (`OnSale.queue_client`):
# a crowd of browsers has no shared pool, and behind checkouts that take seconds under
# load, heartbeat polls waited in this client past the queue's grace period and people
# lost their places to the load generator, not to the server.
QUEUE_STEPS = frozenset({"challenge", "join", "queue_status"})

# Holds (taken and given back: `/events/{id}/holds`) go to their own pool when the
# deployment has one (`OnSale.hold_client`), as its balancer would route them.
_HOLD_STEPS = frozenset({"hold", "release"})

# Whose request goes first when a lane's connections are all busy: buyers holding and
# paying before PIX payers polling their order; heartbeat polls and joins (a place is
# lost after the grace period without polls; a challenge expires) before people only
# arriving (who, delayed, simply arrive later).
_PRIORITY = {"queue_status": 1, "join": 1, "order_status": 2, "challenge": 3}


CHECKOUT_PATIENCE_S = 90.0
REJOINS = 3  # places lost (Redis flushed) a buyer joins again for
QUEUE_PATIENCE_S = 120.0  # how long a waiting-room request is retried (see `call`)
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 8.0


def backoff_s(attempt: int, rng: random.Random) -> float:
    """The wait before retry `attempt + 1` of a request that got no answer: doubling from
    `BACKOFF_FIRST_S` up to `BACKOFF_MAX_S`, each drawn from its upper half (jitter)."""
    step = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**attempt)
    return rng.uniform(step / 2, step)


def retry_after_s(response: http.Response, rng: random.Random) -> float:
    """What the server asked for (Retry-After, seconds; 1 if absent or unreadable), plus
    up to half of it again: browsers told the same second do not return together."""
    try:
        asked = max(0.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        asked = 1.0
    return asked + rng.uniform(0, max(0.5, asked / 2))


_SUPPLY_LEVEL = {"available": 0, "all_held": 1, "sold_out": 2}


@dataclass
class Outcome:
    joined_at: float | None = None
    join_position: int | None = None
    admitted_at: float | None = None  # when the buyer learned it (their next poll)
    admitted_by_server_at: float | None = None  # when the waiting room let them in
    pseudonym: str | None = None  # a pre-queue entrant's entry in the published draw
    order_id: str | None = None  # the order they were shown paid
    tickets: int = 0
    result: str = "unknown"


class TokenFor(Protocol):
    def __call__(self, user_id: str, *, organizer_of: str | None = None) -> str: ...


@dataclass
class OnSale:
    client: http.Client
    recorder: Recorder
    preset: Preset
    token_for: TokenFor
    queue_client: http.Client | None = None  # the waiting room's lane (default: `client`)
    hold_client: http.Client | None = None  # the holds' own pool (default: `client`)
    rng: random.Random = field(default_factory=lambda: random.Random(2026))  # noqa: S311
    event_id: str = ""
    on_sale_at: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    draw_order: list[str] = field(default_factory=list)  # the published draw, after the sale

    async def call(self, step: str, method: str, url: str, token: str, **kw: Any) -> http.Response:
        headers = {"authorization": f"Bearer {token}", **kw.pop("headers", {})}
        client = self.client
        if step in QUEUE_STEPS and self.queue_client is not None:
            client = self.queue_client
        elif step in _HOLD_STEPS and self.hold_client is not None:
            client = self.hold_client
        # Like a browser: retry what never reached the server, or was refused as busy.
        # A shopper gives up after 8 tries; someone in the waiting room keeps trying
        # (the web app shows "reconnecting") for QUEUE_PATIENCE_S: a restart under a
        # crowd took ~15 s on a loaded machine, longer than 8 tries' ~16-31 s of
        # back-off once two came in a row, and the crowd gave up.
        patient_until = time.monotonic() + (QUEUE_PATIENCE_S if step in QUEUE_STEPS else 0)
        attempt = 0
        while True:
            last = attempt >= 7 and time.monotonic() >= patient_until
            try:
                started = time.perf_counter()
                response = await client.request(
                    method, url, headers=headers, priority=_PRIORITY.get(step, 0), **kw
                )
                self.recorder.latency(step, response.elapsed)
                self.recorder.waited(time.perf_counter() - started - response.elapsed)
            except (http.TransportError, http.RequestTimeout) as exc:
                # Refused, reset or closed before the answer — or, for a waiting-room
                # request (safe to ask again: a join is one place per account), no
                # answer in time. Back off exponentially with full jitter, so a crowd
                # that lost its server does not come back in step when it restarts.
                if last or (isinstance(exc, http.RequestTimeout) and step not in QUEUE_STEPS):
                    raise
                self.recorder.count("client_retries")
                await asyncio.sleep(backoff_s(attempt, self.rng))
                attempt += 1
                continue
            if step in QUEUE_STEPS and response.status_code < 500:
                self.recorder.count("crowd_answered")  # the recovery figure's timeline
            if response.status_code == 503 and not last:  # busy: honour Retry-After
                self.recorder.count(f"{step} 503")
                await asyncio.sleep(retry_after_s(response, self.rng))
                attempt += 1
                continue
            break
        if response.status_code >= 400:
            code = ""
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                code = ":" + str(response.json().get("code", ""))
            self.recorder.count(f"{step} {response.status_code}{code}")
        return response

    # -- organizer ---------------------------------------------------------------------

    async def set_up(self) -> None:
        token = self.token_for("usr_organizer", organizer_of=ORG)
        rows = self.preset.seats // SECTION_ROW
        reserved = [
            {"kind": "reserved", "id": "A", "name": "Cadeiras A", "rows": [
                {"label": str(r + 1), "seats": [
                    {"label": str(s + 1), "x": float(s), "y": float(r)}
                    for s in range(SECTION_ROW)]}
                for r in range(rows)]},
        ] if rows else []  # fmt: skip
        venue = {
            "name": "Arena Benchmark", "city": "São Paulo", "address": "Av. Bench, 1",
            "timezone": "America/Sao_Paulo",
            "sections": [
                *reserved,
                {"kind": "ga", "id": "pista", "name": "Pista", "capacity": self.preset.ga},
            ],
        }  # fmt: skip
        r = await self.call("setup", "POST", f"/organizations/{ORG}/venues", token, json=venue)
        r.raise_for_status()
        now = datetime.now(UTC)
        self.on_sale_at = time.time() + self.preset.pre_queue_s  # pre-queue, then the draw
        on_sale = datetime.fromtimestamp(self.on_sale_at, UTC)
        event = {
            "venue_id": r.json()["id"], "name": "Flash Sale Benchmark",
            "starts_at": (now + timedelta(days=30)).isoformat(),
            "ends_at": (now + timedelta(days=30, hours=3)).isoformat(),
            "price_levels": [
                *([{"id": "cadeira", "name": "Cadeira", "amount_minor": 15_000,
                    "seat_categories": ["standard"]}] if reserved else []),
                {"id": "pista", "name": "Pista", "amount_minor": 9_000, "ga_areas": ["pista"]},
            ],
            "ticket_types": [{"id": "inteira", "kind": "full", "name": "Inteira"}],
            "sales": {"on_sale_at": on_sale.isoformat(),
                      "off_sale_at": (now + timedelta(days=29)).isoformat()},
            "per_buyer_limit": 6,
            # A sale this large queues checkouts for minutes: buyers get 15 to pay.
            "hold_duration_s": 900,
            # Browsers solve the proof of work on their own CPUs; here every "browser"
            # shares the server's 2 cores, so the bench keeps it small (256 hashes).
            "waiting_room": {"enabled": True, "pre_queue_minutes": 30, "pow_difficulty": 8,
                             "admission_rate_per_minute": self.preset.admission_per_minute}
            if self.preset.waiting_room else {"enabled": False},
        }  # fmt: skip
        r = await self.call("setup", "POST", f"/organizations/{ORG}/events", token, json=event)
        r.raise_for_status()
        self.event_id = r.json()["id"]
        # Published only: the sale opens by itself at on_sale_at (inventory provisioned
        # now, closed until then; the draw on the admission tick). Moving the status to
        # on_sale by hand now would start the sale at once and skip the pre-queue.
        r = await self.call(
            "setup", "POST", f"/events/{self.event_id}/status", token,
            json={"status": "published"},
        )  # fmt: skip
        r.raise_for_status()
        if not self.preset.waiting_room:  # nothing to queue for: the sale opens now
            r = await self.call(
                "setup", "POST", f"/events/{self.event_id}/status", token,
                json={"status": "on_sale"},
            )  # fmt: skip
            r.raise_for_status()
            # Buyers come a little later, once the bench samples every process's CPU.
            self.on_sale_at = time.time() + self.preset.pre_queue_s
        admission = self._admission()
        if admission is not None:
            r = await self.call(
                "setup", "PATCH", f"/waitingroom/events/{self.event_id}/admission", token,
                json=admission,
            )  # fmt: skip
            r.raise_for_status()

    def _admission(self) -> dict[str, Any] | None:
        """The admission mode set after publishing (None: the fixed rate of the event)."""
        p = self.preset
        if p.adaptive:
            return {
                "mode": "adaptive", "target_active": p.target_active or 1_500,
                "rate_per_minute": min(p.adaptive_start_per_minute, p.admission_per_minute),
                "min_rate_per_minute": 60,
                "max_rate_per_minute": p.admission_per_minute,
                "checkout_latency_target_ms": p.checkout_target_ms,
            }  # fmt: skip
        if p.target_active is not None:
            return {"mode": "auto", "target_active": p.target_active}
        return None

    # -- buyers --------------------------------------------------------------------------

    async def run(self, buyers: range | None = None) -> None:
        """Run the buyers numbered in `buyers` (all of them by default; a load-generator
        process runs its share). Buyer i is early (pre-queued) or late the same way
        whichever process runs it."""
        early = int(self.preset.buyers * self.preset.prequeue_share)
        tasks = []
        deadline = time.monotonic() + self.preset.max_seconds
        for i in range(self.preset.buyers) if buyers is None else buyers:
            outcome = Outcome()
            self.outcomes.append(outcome)
            if i < early:
                delay = self.rng.uniform(0, max(0.0, self.on_sale_at - time.time() - 1))
            else:
                delay = (
                    self.on_sale_at
                    - time.time()
                    + self.rng.uniform(0, self.preset.arrival_window_s)
                )
            tasks.append(asyncio.create_task(self._buyer(i, max(0.0, delay), outcome)))
        # Count completions with one callback per task: `asyncio.wait` on the whole set
        # every second walks every pending task twice, and with 125,000 buyers per
        # process that froze this loop for most of each second.
        remaining = len(tasks)
        all_done = asyncio.Event()

        def finished(_: asyncio.Task[None]) -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                all_done.set()

        for task in tasks:
            task.add_done_callback(finished)
        while remaining and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_done.wait(), timeout=1.0)
            self.recorder.gauge("in_flight_buyers", remaining)
        pending = [task for task in tasks if not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _buyer(self, i: int, delay: float, outcome: Outcome) -> None:
        await asyncio.sleep(delay)
        token = self.token_for(f"usr_b{i}")
        try:
            if not self.preset.waiting_room:  # straight to the shop
                outcome.admitted_at = time.time()
                self.recorder.count("admitted")
                await self._shop(token, None, outcome)
                return
            admission = await self._queue(token, outcome)
            if admission is None:
                if outcome.result == "unknown":
                    outcome.result = "not_admitted"
                return
            await self._shop(token, admission, outcome)
        except (http.HTTPError, KeyError, ValueError) as exc:
            outcome.result = f"error:{type(exc).__name__}"
            self.recorder.count("client_errors")

    async def _queue(self, token: str, outcome: Outcome) -> str | None:
        """Join, then poll until admitted. A place lost (Redis flushed: `not_in_queue`)
        is joined again, as the web app does, a few times at most."""
        for _ in range(REJOINS + 1):
            status = await self._join(token, outcome)
            if status is None:
                return None
            admission = await self._wait_in_line(token, status, outcome)
            if admission != "lost":
                return admission
            self.recorder.count("rejoined")
        return None

    async def _join(self, token: str, outcome: Outcome) -> dict[str, Any] | None:
        base = f"/waitingroom/events/{self.event_id}"
        for _ in range(5):  # a rate-limited, refused or expired challenge: fetched again
            r = await self.call("challenge", "POST", f"{base}/challenge", token)
            if r.status_code in (429, 503):
                await asyncio.sleep(retry_after_s(r, self.rng))
                continue
            r.raise_for_status()
            challenge = r.json()
            solution = solve(challenge["challenge"], int(challenge["difficulty"]))
            r = await self.call(
                "join", "POST", f"{base}/join", token,
                json={"challenge": challenge["challenge"], "solution": solution},
            )  # fmt: skip
            if r.status_code == 200:
                break
        else:
            return None
        status: dict[str, Any] = r.json()
        if outcome.joined_at is None:
            outcome.joined_at = time.time()
            outcome.join_position = status.get("position")
            outcome.pseudonym = status.get("pseudonym")
            self.recorder.count("joined")
        return status

    async def _wait_in_line(
        self, token: str, status: dict[str, Any], outcome: Outcome
    ) -> str | None:
        """The admission token; None when sold out; "lost" when the place is gone."""
        base = f"/waitingroom/events/{self.event_id}"
        while status["state"] != "admitted":
            if status["state"] in ("not_in_queue", "admission_expired"):
                return "lost"  # join again: a new place at the back
            if status.get("supply") == "sold_out":  # as the web app does: show it, stop
                outcome.result = "sold_out_in_line"
                self.recorder.count("sold_out_in_line")
                return None
            # As the web app does: wait what the server suggests (it spreads the polls).
            await asyncio.sleep(min(300.0, max(1.0, float(status.get("poll_after_s", 2.0)))))
            r = await self.call("queue_status", "GET", f"{base}/status", token)
            r.raise_for_status()
            status = r.json()
            if outcome.join_position is None:
                outcome.join_position = status.get("position")
        outcome.admitted_at = time.time()
        if status.get("admitted_at"):
            outcome.admitted_by_server_at = datetime.fromisoformat(
                status["admitted_at"]
            ).timestamp()
        self.recorder.count("admitted")
        return str(status["admission_token"])

    async def _shop(self, token: str, admission: str | None, outcome: Outcome) -> None:
        quantity = self.preset.quantity or self.rng.choice((1, 2, 2, 3, 4))
        ga = self.rng.random() < self.preset.ga / max(1, self.preset.ga + self.preset.seats)
        body = (
            {"kind": "ga", "area_id": "pista", "quantity": quantity}
            if ga
            else {"kind": "best", "section_id": "A", "quantity": quantity}
        )
        # As the web app does, with a key: a hold whose answer was lost (the api killed
        # mid-request) and that is asked again is the same hold, not a second one left
        # holding its units until it expires.
        headers = {"idempotency-key": f"hold-{secrets.token_hex(8)}"}
        if admission is not None:
            headers["x-admission-token"] = admission
        r = await self.call(
            "hold", "POST", f"/events/{self.event_id}/holds", token, json=body, headers=headers
        )
        if r.status_code == 409:
            outcome.result = "sold_out"
            self.recorder.count("sold_out_answers")
            return
        r.raise_for_status()
        hold = r.json()
        if self.rng.random() < self.preset.abandon_share:  # changed their mind
            await self.call(
                "release", "DELETE", f"/events/{self.event_id}/holds/{hold['hold_id']}", token
            )
            outcome.result = "abandoned"
            self.recorder.count("abandoned")
            return
        if self.preset.payment == "bank_transfer":
            order = await self._checkout(token, hold, method="bank_transfer")
            if order is None:
                outcome.result = "checkout_failed"
                return
            outcome.order_id = str(order["id"])
            outcome.result = "pending"
            self.recorder.count("orders_placed")
            self.recorder.count("tickets_placed", len(order["lines"]))
            return
        pix = self.rng.random() < 0.15
        order = await self._checkout(token, hold, method="pix" if pix else "card_sandbox")
        if order is None:
            outcome.result = "checkout_failed"
            return
        if pix:
            order = await self._pay_pix(token, order, late=self.rng.random() < 0.1)
        if order is not None and order["status"] == "paid":
            outcome.order_id = str(order["id"])
            outcome.tickets = len(order["lines"])
            outcome.result = "paid"
            self.recorder.count("orders_paid")
            self.recorder.count("tickets_sold", outcome.tickets)
        else:
            outcome.result = "unpaid"

    async def _checkout(
        self, token: str, hold: dict[str, Any], *, method: str
    ) -> dict[str, Any] | None:
        tickets = [
            {"seat_id": s, "ticket_type_id": "inteira", "holder_name": "Pessoa Compradora"}
            for s in hold["seats"]
        ] + [
            {"area_id": a, "ticket_type_id": "inteira", "holder_name": "Pessoa Compradora"}
            for a, n in hold["ga"].items() for _ in range(n)
        ]  # fmt: skip
        unit = 9_000 if hold["ga"] else 15_000
        body: dict[str, Any] = {
            "hold_id": hold["hold_id"], "payment_method": method,
            "buyer": {"name": "Pessoa Compradora", "email": "comprador@example.com.br"},
            "tickets": tickets, "expected_total_cents": unit * len(tickets),
        }  # fmt: skip
        if method == "card_sandbox":
            r = await self.call(
                "card_token", "POST", "/sandbox-psp/v1/tokens", token,
                json={"number": "4242424242424242", "exp_month": 12, "exp_year": 2099,
                      "cvc": "123"},
            )  # fmt: skip
            r.raise_for_status()
            body["card_token"] = r.json()["token"]
        key = {"idempotency-key": hold["hold_id"]}
        # A buyer holding tickets keeps trying while the answer says "not yet" (a retried
        # checkout with the same key never buys twice), as long as the API's own record
        # of a checkout in progress may last (60 s, when the process running it died).
        give_up_at = time.monotonic() + CHECKOUT_PATIENCE_S
        while True:
            r = await self.call("checkout", "POST", "/orders", token, json=body, headers=key)
            if r.status_code in (201, 200):
                return dict(r.json())
            transient = r.status_code in (409, 503) and r.json().get("code") in (
                "request_in_progress", "service_busy", "inventory_busy"
            )  # fmt: skip
            if not transient or time.monotonic() >= give_up_at:
                return None
            await asyncio.sleep(retry_after_s(r, self.rng))

    async def _pay_pix(
        self, token: str, order: dict[str, Any], *, late: bool
    ) -> dict[str, Any] | None:
        if late:
            await asyncio.sleep(5)
        txid = order["payment"]["instructions"]["pix_copia_e_cola"]
        txid = _txid_of(txid)
        # The payer's bank: its answer may be lost (409 when asked again: already paid);
        # the web app shows the order's status whatever the bank app said.
        await self.call("pix_pay", "POST", f"/sandbox-psp/v1/pix/{txid}/pay", token)
        for _ in range(60):  # the worker applies the PSP's webhook (the app polls each 2 s)
            await asyncio.sleep(2.0)
            r = await self.call("order_status", "GET", f"/orders/{order['id']}", token)
            if r.json()["status"] in ("paid", "expired", "cancelled"):
                return dict(r.json())
        return None

    async def sample_queue(self, stop: asyncio.Event) -> None:
        token = self.token_for("usr_organizer", organizer_of=ORG)
        url = f"/waitingroom/events/{self.event_id}/stats"
        while not stop.is_set():
            try:
                r = await self.client.get(url, headers={"authorization": f"Bearer {token}"})
            except http.TransportError:  # the api is being restarted (fault mode)
                r = None
            if r is not None and r.status_code == 200:
                stats = r.json()
                self.recorder.gauge("queue_length", float(stats.get("queue_length", 0)))
                # 0 admitting, 1 paused with every unit held, 2 paused sold out
                paused = _SUPPLY_LEVEL.get(stats.get("supply", "available"), 0)
                self.recorder.gauge("admission_paused", float(paused))
            await asyncio.sleep(1.0)


async def published_draw(client: http.Client, event_id: str) -> list[str]:
    """The pre-queue's drawn order (pseudonyms), as anyone can fetch it after on-sale."""
    r = await client.get(f"/waitingroom/events/{event_id}/draw")
    r.raise_for_status()
    return list(r.json()["order"])


def _txid_of(brcode: str) -> str:
    """The txid is in field 62, sub-field 05 of the BR Code."""
    i = 0
    while i < len(brcode) - 4:
        field_id, length = brcode[i : i + 2], int(brcode[i + 2 : i + 4])
        value = brcode[i + 4 : i + 4 + length]
        if field_id == "62":
            return value[4:]  # "05" + length(2) + txid
        i += 4 + length
    raise ValueError("no txid in BR Code")
