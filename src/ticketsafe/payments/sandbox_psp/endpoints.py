"""The sandbox PSP's public API (TEST MODE). The browser tokenises cards here, so raw
card numbers never reach TicketSafe's own endpoints, storage or logs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.params import Depends
from pydantic import BaseModel, Field

from ticketsafe.identity.deps import CurrentUser
from ticketsafe.infra.deps import JobsDep, RedisDep, SettingsDep
from ticketsafe.infra.fields import JsonInteger
from ticketsafe.infra.openapi import problems
from ticketsafe.infra.ratelimit import RateLimiter
from ticketsafe.payments.sandbox_psp import service as psp

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


@router.post(
    "/tokens", operation_id="sandbox_psp_tokenize", status_code=201, responses=problems(429)
)
async def tokenize(
    card: CardDetails, redis: RedisDep, _: Annotated[None, Depends(_limit_by_ip)]
) -> psp.CardToken:
    """Exchange card details for a single-use token (see the documented test cards)."""
    return await psp.tokenize(redis, card.number, card.exp_month, card.exp_year, card.cvc)


@router.get("/challenges/{charge_id}", operation_id="sandbox_psp_challenge")
async def challenge(charge_id: str, user: CurrentUser, redis: RedisDep) -> psp.Charge:
    """The 3-D-Secure-like step the buyer completes; shows the charge awaiting it. Only
    the paying buyer's session sees it (anyone else: 404, anonymous: 401)."""
    return await psp.challenge_of(redis, charge_id, user.user_id)


@router.post("/challenges/{charge_id}", operation_id="sandbox_psp_complete_challenge")
async def complete_challenge(
    charge_id: str, result: ChallengeResult, user: CurrentUser, redis: RedisDep, jobs: JobsDep
) -> psp.Charge:
    """Approve or fail the challenge: only the paying buyer's session may."""
    approve = result.outcome == "approve"
    return await psp.complete_challenge(redis, jobs, charge_id, payer=user.user_id, approve=approve)


@router.post("/pix/{txid}/pay", operation_id="sandbox_psp_pay_pix")
async def pay_pix(txid: str, redis: RedisDep, jobs: JobsDep) -> psp.Charge:
    """Simulate the payer's bank settling a PIX charge (test mode only)."""
    return await psp.pay_pix(redis, jobs, txid)
