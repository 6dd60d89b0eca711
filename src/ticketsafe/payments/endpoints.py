"""Incoming PSP webhooks. Buyers start payments through checkout (orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from ticketsafe.payments import service
from ticketsafe.payments.deps import PaymentsCtx
from ticketsafe.payments.webhooks import SIGNATURE_HEADER

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
    return WebhookAck(outcome=await service.handle_psp_webhook(ctx, body, signature))
