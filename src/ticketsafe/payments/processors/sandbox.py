"""The sandbox PSP (TEST MODE card gateway and PIX bank), reached over HTTP like any
real PSP: its own service (`ticketsafe.sandbox_psp`, started by `serve`, `cluster`, the
bench and the test fixtures) keeps its tokens, charges and events in its own process.
It answers a card authorisation synchronously (approved, declined, or a 3-D-Secure-like
challenge) and notifies every later move by a signed webhook to our notify URL.

Settings: `payments_sandbox` (on/off), `sandbox_psp_url` (where it listens),
`psp_webhook_secret` (the shared signing key), `sandbox_psp_notify_url` (where it
delivers; default `public_url` + `WEBHOOK_PATH`).
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import httpx
import orjson

from ticketsafe.infra.errors import (
    BusinessRuleViolation,
    Conflict,
    NotFound,
    ServiceBusy,
    TicketSafeError,
)
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.signed_webhooks import verify
from ticketsafe.payments.brcode import PixCharge
from ticketsafe.payments.models import CardSummary, Method, Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.processors.base import (
    CardTokenRequired,
    ChargeFacts,
    ProviderContext,
    PspEvent,
    StartResult,
)

WEBHOOK_PATH = "/payments/webhooks/sandbox-psp"

# The charge's state at the PSP, as our payment's status.
_CHARGE_STATUS = {
    "authorized": PaymentStatus.AUTHORIZED,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "captured": PaymentStatus.CAPTURED,
    "voided": PaymentStatus.VOIDED,
    "pending": PaymentStatus.PENDING,
}
_EVENT_STATUS = {
    "charge.authorized": PaymentStatus.AUTHORIZED,
    "charge.failed": PaymentStatus.FAILED,
    "charge.captured": PaymentStatus.CAPTURED,
    "charge.voided": PaymentStatus.VOIDED,
    "pix.received": PaymentStatus.CAPTURED,
    # charge.refunded: nothing to do, we recorded the refund when we asked for it
}
_REFUSALS: dict[int, type[TicketSafeError]] = {
    404: NotFound,
    409: Conflict,
    422: BusinessRuleViolation,
}


class PspUnavailable(ServiceBusy):
    code = "psp_unavailable"
    title = "The payment service provider did not answer; retry"


async def call(
    http: httpx.AsyncClient, settings: Settings, method: str, path: str, **kwargs: Any
) -> dict[str, Any]:
    """One call to the sandbox's API (`/v1` + `path`); its refusals become our typed
    errors with its code (404, 409, 422), anything else unexpected a 503."""
    if not settings.sandbox_psp_url:
        raise PspUnavailable("the sandbox PSP's URL is not configured (sandbox_psp_url)")
    url = settings.sandbox_psp_url.rstrip("/") + "/v1" + path
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise PspUnavailable(f"the sandbox PSP did not answer ({type(exc).__name__})") from None
    body: dict[str, Any] = orjson.loads(response.content) if response.content else {}
    refusal = _REFUSALS.get(response.status_code)
    if refusal is not None:
        code = str(body.pop("code", "psp_refused"))
        raise refusal(str(body.pop("detail", "refused by the PSP")), code=code, **body)
    if response.status_code >= 300:
        raise PspUnavailable(f"the sandbox PSP answered {response.status_code}")
    return body


class SandboxProcessor:
    name: ClassVar[str] = "sandbox"
    options: ClassVar[dict[PaymentMethod, Method]] = {
        PaymentMethod.CARD_SANDBOX: Method.CARD,
        PaymentMethod.PIX: Method.PIX,
    }

    def enabled(self, settings: Settings) -> bool:
        return settings.payments_sandbox

    async def start(
        self, ctx: ProviderContext, payment: Payment, card_token: str | None
    ) -> StartResult:
        if payment.method is Method.PIX:
            return await self._start_pix(ctx, payment)
        if not card_token:
            raise CardTokenRequired("a card token is required")
        # Our payment id is the charge's reference: the PSP's idempotency key. Asked
        # again (our process died during the call), it answers the charge it made.
        charge = await self._call(
            ctx, "POST", "/charges/card",
            json={
                "token": card_token, "amount_cents": payment.amount_cents,
                "currency": payment.currency, "reference": payment.id,
                "payer": payment.payer_id, "notify_url": _notify_url(ctx.settings),
                "metadata": {"order_id": payment.order_id},
            },
        )  # fmt: skip
        card = CardSummary(
            token=card_token, brand=charge.get("card_brand") or "unknown",
            last4=charge.get("card_last4") or "",
        )  # fmt: skip
        instructions = {"challenge_url": charge["challenge_url"]} if charge["challenge_url"] else {}
        if charge["decline_code"]:
            instructions["decline_code"] = charge["decline_code"]
        status = _CHARGE_STATUS.get(charge["state"], PaymentStatus.FAILED)
        return StartResult(status, charge["id"], instructions, card, test_mode=True)

    async def _start_pix(self, ctx: ProviderContext, payment: Payment) -> StartResult:
        """A BR Code for the amount; the PSP confirms by signed webhook (`pix.received`)."""
        if payment.currency != "BRL":
            raise BusinessRuleViolation("PIX takes BRL only", code="currency_not_supported")
        txid = "".join(ch for ch in payment.id if ch.isalnum())[:25]
        payload = PixCharge(
            pix_key=ctx.settings.pix_key,
            merchant_name=ctx.settings.pix_merchant_name,
            merchant_city=ctx.settings.pix_merchant_city,
            amount_cents=payment.amount_cents,
            txid=txid,
        ).payload()
        charge = await self._call(
            ctx, "POST", "/charges/pix",
            json={
                "txid": txid, "amount_cents": payment.amount_cents, "reference": payment.id,
                "notify_url": _notify_url(ctx.settings), "metadata": {"order_id": payment.order_id},
            },
        )  # fmt: skip
        # The transaction id is inside the BR Code too; given apart, a client (and the
        # sandbox's "pay" call, which stands in for the payer's bank) needs no decoder.
        # The QR image is drawn on request (`qr_svg`), not stored: it costs more CPU
        # than the rest of a checkout and says nothing the payload does not.
        instructions = {
            "pix_copia_e_cola": payload,
            "pix_txid": txid,
            "sandbox_pay_url": f"/sandbox-psp/v1/pix/{txid}/pay",
        }
        return StartResult(
            PaymentStatus.PENDING, provider_ref=charge["id"], instructions=instructions,
            test_mode=True,
        )  # fmt: skip

    async def capture(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        if payment.method is Method.PIX:
            return PaymentStatus.CAPTURED  # PIX settles instantly: received means captured
        assert payment.provider_ref is not None
        try:
            charge = await self._call(ctx, "POST", f"/charges/{payment.provider_ref}/capture")
        except (NotFound, Conflict):  # unknown or not capturable: nothing was captured
            raise Conflict("the card charge could not be captured", code="capture_failed") from None
        if charge["state"] != "captured":
            raise Conflict("the card charge could not be captured", code="capture_failed")
        return PaymentStatus.CAPTURED

    async def void(self, ctx: ProviderContext, payment: Payment) -> PaymentStatus:
        if payment.method is Method.CARD and payment.provider_ref is not None:
            # An authorisation the gateway no longer knows holds no money: void is done.
            with contextlib.suppress(NotFound):
                await self._call(ctx, "POST", f"/charges/{payment.provider_ref}/void")
        return PaymentStatus.VOIDED  # an unpaid BR Code simply expires

    async def refund(self, ctx: ProviderContext, payment: Payment, amount_cents: int) -> None:
        assert payment.provider_ref is not None
        await self._call(
            ctx, "POST", f"/charges/{payment.provider_ref}/refunds",
            json={"amount_cents": amount_cents},
        )  # fmt: skip

    async def money_in(self, ctx: ProviderContext, payment: Payment) -> bool:
        if payment.provider_ref is None:
            return False
        try:
            charge = await self._call(ctx, "GET", f"/charges/{payment.provider_ref}")
        except NotFound:
            return False
        return bool(charge["state"] == "captured")

    def parse_webhook(self, settings: Settings, body: bytes, signature: str | None) -> PspEvent:
        assert settings.psp_webhook_secret is not None
        verify(settings.psp_webhook_secret.get_secret_value(), body, signature)
        event = orjson.loads(body)
        charge = event["data"]
        reference = charge.get("reference")
        order_id = (charge.get("metadata") or {}).get("order_id")
        facts = None
        if isinstance(order_id, str):
            facts = ChargeFacts(
                order_id=order_id, method=Method.PIX if charge["kind"] == "pix" else Method.CARD,
                amount_cents=int(charge["amount_cents"]), currency=str(charge["currency"]),
                test_mode=True,
            )  # fmt: skip
        return PspEvent(
            id=event["id"], type=event["type"], target=_EVENT_STATUS.get(event["type"]),
            charge_id=charge["id"], reference=reference if isinstance(reference, str) else None,
            charge=facts,
        )  # fmt: skip

    async def _call(
        self, ctx: ProviderContext, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        return await call(ctx.http, ctx.settings, method, path, **kwargs)


def _notify_url(settings: Settings) -> str:
    return settings.sandbox_psp_notify_url or settings.public_url.rstrip("/") + WEBHOOK_PATH
