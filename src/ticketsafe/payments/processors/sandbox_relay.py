"""The sandbox PSP's browser-facing calls (TEST MODE), relayed to its own service.

A real PSP's card form and challenge page are served from its own domain; the sandbox
runs on a loopback port, so the browser reaches it through these routes on our origin
(same paths and answers as before it moved out). Nothing is stored here: the card
details pass through to the sandbox (test cards only: this router exists only with
`payments_sandbox` on) and are never logged, and a challenge is shown to, or answered
by, the paying buyer only: the relay names them to the sandbox as the payer.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.params import Depends
from pydantic import BaseModel, Field

from ticketsafe.identity.deps import CurrentUser
from ticketsafe.infra.deps import RedisDep, SettingsDep
from ticketsafe.infra.fields import JsonInteger
from ticketsafe.infra.openapi import problems
from ticketsafe.infra.ratelimit import RateLimiter
from ticketsafe.infra.resources import Resources
from ticketsafe.payments.processors.sandbox import call
from ticketsafe.sandbox_psp.ledger import CardToken, Charge

router = APIRouter(prefix="/sandbox-psp/v1", tags=["sandbox PSP (test mode)"])


class CardDetails(BaseModel):
    number: str = Field(min_length=12, max_length=23, repr=False)
    exp_month: Annotated[int, Field(ge=1, le=12), JsonInteger]
    exp_year: Annotated[int, Field(ge=2000, le=2100), JsonInteger]
    cvc: str = Field(min_length=3, max_length=4, repr=False)


class ChallengeResult(BaseModel):
    outcome: Literal["approve", "fail"]


async def _limit_by_ip(request: Request, redis: RedisDep, settings: SettingsDep) -> None:
    host = request.client.host if request.client else "unknown"
    rate = settings.rate_limits.card_tokenizations_per_ip
    await RateLimiter(redis).hit(f"psp:tokenize:{host}", rate, what="card tokenisations")


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


Psp = Annotated[Resources, Depends(_resources)]


@router.post(
    "/tokens", operation_id="sandbox_psp_tokenize", status_code=201, responses=problems(429)
)
async def tokenize(
    card: CardDetails, psp: Psp, _: Annotated[None, Depends(_limit_by_ip)]
) -> CardToken:
    """Exchange card details for a single-use token (see the documented test cards)."""
    answer = await call(psp.http, psp.settings, "POST", "/tokens", json=card.model_dump())
    return CardToken.model_validate(answer)


@router.get("/challenges/{charge_id}", operation_id="sandbox_psp_challenge")
async def challenge(charge_id: str, user: CurrentUser, psp: Psp) -> Charge:
    """The 3-D-Secure-like step the buyer completes; shows the charge awaiting it. Only
    the paying buyer's session sees it (anyone else: 404, anonymous: 401)."""
    answer = await call(
        psp.http, psp.settings, "GET", f"/charges/{quote(charge_id, safe='')}/challenge",
        params={"payer": user.user_id},
    )  # fmt: skip
    return Charge.model_validate(answer)


@router.post("/challenges/{charge_id}", operation_id="sandbox_psp_complete_challenge")
async def complete_challenge(
    charge_id: str, result: ChallengeResult, user: CurrentUser, psp: Psp
) -> Charge:
    """Approve or fail the challenge: only the paying buyer's session may."""
    answer = await call(
        psp.http, psp.settings, "POST", f"/charges/{quote(charge_id, safe='')}/challenge",
        json={"payer": user.user_id, "outcome": result.outcome},
    )  # fmt: skip
    return Charge.model_validate(answer)


@router.post("/pix/{txid}/pay", operation_id="sandbox_psp_pay_pix")
async def pay_pix(txid: str, psp: Psp) -> Charge:
    """Simulate the payer's bank settling a PIX charge (test mode only)."""
    return Charge.model_validate(
        await call(psp.http, psp.settings, "POST", f"/pix/{quote(txid, safe='')}/pay")
    )
