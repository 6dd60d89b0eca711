"""Incoming PSP webhooks. Buyers start payments through checkout (orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, TypeAdapter

from ticketsafe.infra.fastlane import FastRequest, FastResponse, FastRoute
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER
from ticketsafe.payments import service
from ticketsafe.payments.deps import PaymentsCtx
from ticketsafe.payments.processors import ProviderContext

router = APIRouter(prefix="/payments", tags=["payments"])


class WebhookAck(BaseModel):
    received: bool = True
    outcome: str


@router.post(
    "/webhooks/sandbox-psp",
    operation_id="payments_sandbox_psp_webhook",
    responses={401: {"description": "Signature missing, wrong or too old"}},
)
async def sandbox_psp_webhook(
    request: Request,
    ctx: PaymentsCtx,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> WebhookAck:
    """Signed events from the sandbox PSP; replays are acknowledged and ignored."""
    body = await request.body()
    return WebhookAck(outcome=await service.handle_webhook(ctx, "sandbox", body, signature))


_ACK: TypeAdapter[WebhookAck] = TypeAdapter(WebhookAck)
_SIGNATURE = SIGNATURE_HEADER.lower().encode()


async def fast_sandbox_psp_webhook(request: FastRequest) -> FastResponse:
    """`sandbox_psp_webhook` on the fast lane (one arrives for every payment): the same
    service call; its jobs leave as the route's do: after the answer (`infra.job_flush`)."""
    signature = request.header(_SIGNATURE)
    ctx: ProviderContext = request.app.state.services.payments(request.jobs)
    outcome = await service.handle_webhook(
        ctx, "sandbox", request.body, signature.decode("latin-1") if signature is not None else None
    )
    return FastResponse(200, _ACK.dump_json(WebhookAck(outcome=outcome)))


FAST_ROUTES = [FastRoute("POST", "/payments/webhooks/sandbox-psp", fast_sandbox_psp_webhook)]
