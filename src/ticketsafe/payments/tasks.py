"""Worker jobs of the payments package."""

from __future__ import annotations

import orjson

from ticketsafe.infra.jobs import JobContext, JobRegistry
from ticketsafe.payments.sandbox_psp import service as psp
from ticketsafe.payments.webhooks import SIGNATURE_HEADER, sign

WEBHOOK_PATH = "/payments/webhooks/sandbox-psp"


class WebhookDeliveryFailed(RuntimeError):
    """The receiver did not acknowledge; the queue retries with back-off."""


async def deliver_psp_event(ctx: JobContext, event_id: str) -> None:
    """POST one sandbox-PSP event, signed, to our public webhook URL (at least once)."""
    event = await psp.get_event(ctx.redis, event_id)
    if event is None:
        return
    assert ctx.settings.psp_webhook_secret is not None
    body = orjson.dumps(event)
    signature = sign(ctx.settings.psp_webhook_secret.get_secret_value(), body)
    response = await ctx.http.post(
        ctx.settings.public_url.rstrip("/") + WEBHOOK_PATH,
        content=body,
        headers={"content-type": "application/json", SIGNATURE_HEADER: signature},
    )
    if response.status_code >= 300:
        raise WebhookDeliveryFailed(f"webhook answered {response.status_code}")


def register(registry: JobRegistry) -> None:
    registry.task(psp.DELIVER_JOB)(deliver_psp_event)
