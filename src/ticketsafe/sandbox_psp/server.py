"""The sandbox PSP as its own HTTP service (TEST MODE): `python -m ticketsafe.sandbox_psp`.

TicketSafe reaches it over HTTP like any real PSP (`payments.processors.sandbox`), and
it notifies TicketSafe over HTTP: each event is POSTed, signed with the shared webhook
secret (`payments.webhooks`), to the `notify_url` the merchant gave with the charge.
Delivery is at least once: an event the buyer caused (a challenge answered, a PIX paid)
is delivered before that call answers, so the buyer's next look at the order sees it;
an event the merchant caused (it already has the answer) goes `MERCHANT_EVENT_DELAY_S`
after the answer, as real PSPs' do (not racing the merchant's own record of it). A
failed delivery is tried again with back-off (`RETRY_DELAYS_S`), then dropped — the
merchant's reconciliation asks for the charge itself.

Its routes (all under `/v1`):
    POST /tokens                          card details → single-use token
    POST /charges/card                    authorise on a token (idempotent by reference)
    POST /charges/pix                     a PIX charge for a txid
    GET  /charges/{id}                    the charge as it stands
    POST /charges/{id}/capture | /void    move it
    POST /charges/{id}/refunds            {amount_cents}
    GET  /charges/{id}/challenge?payer=   the 3-D-Secure-like step, for its payer only
    POST /charges/{id}/challenge          {payer, outcome: approve | fail}
    POST /pix/{txid}/pay                  the payer's bank settles the PIX charge
    GET  /events?charge_id=               a charge's events (the last `HISTORY`)
    POST /events/{id}/deliver             deliver an event (again), once, now
    GET  /deliveries                      events not yet acknowledged (for tests)
    POST /testing/charges/{id}            test controls: {drop_webhooks, refuse_refunds}
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Coroutine
from typing import Annotated, Literal, TypeVar

import httpx
import orjson
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ticketsafe.infra.outbound_http import OutboundTransport
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER, sign
from ticketsafe.sandbox_psp.ledger import CardToken, Charge, Event, Ledger, SandboxError

log = logging.getLogger("ticketsafe.sandbox_psp")

T = TypeVar("T")
MERCHANT_EVENT_DELAY_S = 0.5
RETRY_DELAYS_S = (0.5, 2.0, 10.0, 30.0, 120.0)


class CardDetails(BaseModel):
    number: str = Field(min_length=12, max_length=23, repr=False)
    exp_month: int
    exp_year: int
    cvc: str = Field(min_length=3, max_length=4, repr=False)


class CardChargeRequest(BaseModel):
    token: str
    amount_cents: int = Field(ge=0)
    currency: str
    reference: str
    payer: str | None = None
    notify_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)  # echoed in the charge's events


class PixChargeRequest(BaseModel):
    txid: str
    amount_cents: int = Field(ge=0)
    reference: str
    notify_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class RefundRequest(BaseModel):
    amount_cents: int


class ChallengeAnswer(BaseModel):
    payer: str
    outcome: Literal["approve", "fail"]


class ChargeControls(BaseModel):
    drop_webhooks: bool = False
    refuse_refunds: bool = False


class Notifier:
    """Delivers events, signed, at least once; counts those not yet acknowledged."""

    def __init__(self, secret: str, http: httpx.AsyncClient) -> None:
        self._secret = secret
        self._http = http
        self._tasks: set[asyncio.Task[None]] = set()
        self.pending = 0

    def later(self, event: Event) -> None:
        if event.notify_url is not None:
            self.pending += 1
            self._spawn(self._deliver(event, first_delay_s=MERCHANT_EVENT_DELAY_S))

    async def now(self, event: Event) -> None:
        """The first attempt before answering; retries continue in the background."""
        if event.notify_url is None:
            return
        self.pending += 1
        if await self.attempt(event):
            self.pending -= 1
        else:
            self._spawn(self._deliver(event, first_delay_s=None))

    def _spawn(self, delivery: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(delivery)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: Event, *, first_delay_s: float | None) -> None:
        """Attempts after `first_delay_s` (None: none, it was made), then the retries."""
        try:
            if first_delay_s is not None:
                await asyncio.sleep(first_delay_s)
                if await self.attempt(event):
                    return
            for delay in RETRY_DELAYS_S:
                await asyncio.sleep(delay)
                if await self.attempt(event):
                    return
            log.warning("webhook dropped after retries", extra={"event_id": event.id})
        finally:
            self.pending -= 1

    async def attempt(self, event: Event, url: str | None = None) -> bool:
        url = url or event.notify_url
        assert url is not None
        body = orjson.dumps(event.body())
        headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(self._secret, body)}
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            return False
        return response.status_code < 300

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def create_sandbox_app(
    secret: str, *, http: httpx.AsyncClient | None = None, ca_file: str | None = None
) -> FastAPI:
    """The sandbox's ASGI app; `http` (tests) replaces its outbound client, `ca_file`
    is a CA it trusts besides the system's (`serve`'s local CA, for its HTTPS URL)."""
    ledger = Ledger()
    notifiers: list[Notifier] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = ssl.create_default_context()
        if ca_file is not None:
            context.load_verify_locations(cafile=ca_file)
        client = http or httpx.AsyncClient(
            transport=OutboundTransport(ssl_context=context),
            timeout=httpx.Timeout(10.0, connect=5.0),
        )
        notifiers.append(Notifier(secret, client))
        try:
            yield
        finally:
            await notifiers[0].close()
            if http is None:
                await client.aclose()

    app = FastAPI(title="Sandbox PSP (test mode)", lifespan=lifespan, openapi_url=None)

    @app.exception_handler(SandboxError)
    async def refused(request: Request, exc: SandboxError) -> JSONResponse:
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        return JSONResponse(body, status_code=exc.status)

    async def answer(value: T, *, buyer_waits: bool = False) -> T:
        """Hand the move's events to delivery: before the answer when the buyer waits
        on them, after it otherwise."""
        for event in ledger.take_events():
            if buyer_waits:
                await notifiers[0].now(event)
            else:
                notifiers[0].later(event)
        return value

    @app.post("/v1/tokens", status_code=201)
    async def tokenize(card: CardDetails) -> CardToken:
        return await answer(ledger.tokenize(card.number, card.exp_month, card.exp_year, card.cvc))

    @app.post("/v1/charges/card")
    async def authorize(body: CardChargeRequest) -> Charge:
        return await answer(ledger.authorize_card(**body.model_dump()))

    @app.post("/v1/charges/pix")
    async def pix_charge(body: PixChargeRequest) -> Charge:
        return await answer(ledger.create_pix_charge(**body.model_dump()))

    @app.get("/v1/charges/{charge_id}")
    async def get_charge(charge_id: str) -> Charge:
        return ledger.get(charge_id)

    @app.post("/v1/charges/{charge_id}/capture")
    async def capture(charge_id: str) -> Charge:
        return await answer(ledger.capture(charge_id))

    @app.post("/v1/charges/{charge_id}/void")
    async def void(charge_id: str) -> Charge:
        return await answer(ledger.void(charge_id))

    @app.post("/v1/charges/{charge_id}/refunds")
    async def refund(charge_id: str, body: RefundRequest) -> Charge:
        return await answer(ledger.refund(charge_id, body.amount_cents))

    @app.get("/v1/charges/{charge_id}/challenge")
    async def challenge(charge_id: str, payer: Annotated[str, Query()]) -> Charge:
        return ledger.challenge_of(charge_id, payer)

    @app.post("/v1/charges/{charge_id}/challenge")
    async def answer_challenge(charge_id: str, body: ChallengeAnswer) -> Charge:
        approve = body.outcome == "approve"
        charge = ledger.complete_challenge(charge_id, payer=body.payer, approve=approve)
        return await answer(charge, buyer_waits=True)

    @app.post("/v1/pix/{txid}/pay")
    async def pay_pix(txid: str) -> Charge:
        return await answer(ledger.pay_pix(txid), buyer_waits=True)

    @app.get("/v1/events")
    async def events(charge_id: Annotated[str, Query()]) -> list[dict[str, object]]:
        return [e.body() for e in ledger.events_of(charge_id)]

    @app.post("/v1/events/{event_id}/deliver")
    async def deliver(event_id: str) -> dict[str, bool]:
        event = ledger.event(event_id)
        url = ledger.notify_urls.get(event.data["id"])
        delivered = url is not None and await notifiers[0].attempt(event, url)
        return {"delivered": delivered}

    @app.post("/v1/testing/charges/{charge_id}", status_code=204)
    async def control(charge_id: str, body: ChargeControls) -> None:
        ledger.control(charge_id, **body.model_dump())

    @app.get("/v1/deliveries")
    async def deliveries() -> dict[str, int]:
        return {"pending": notifiers[0].pending}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ticketsafe.sandbox_psp")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--webhook-secret-file", required=True, help="file holding the webhook signing secret"
    )
    parser.add_argument("--ca-file", help="a CA to trust besides the system's")
    args = parser.parse_args(argv)
    with open(args.webhook_secret_file, encoding="utf-8") as fh:
        secret = fh.read().strip()
    logging.basicConfig(level=logging.INFO)
    app = create_sandbox_app(secret, ca_file=args.ca_file)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
