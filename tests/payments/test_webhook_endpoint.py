"""The webhook receiver: forgery refused, replays ignored, out-of-order events harmless."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import orjson

from ticketsafe.infra.settings import Settings
from ticketsafe.infra.signed_webhooks import SIGNATURE_HEADER, sign
from ticketsafe.payments import repository, service
from ticketsafe.payments.models import Method, Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.processors import ProviderContext

URL = "/payments/webhooks/sandbox-psp"


async def post_signed(
    client: httpx.AsyncClient, settings: Settings, event: dict[str, object], ts: int | None = None
) -> httpx.Response:
    assert settings.psp_webhook_secret is not None
    body = orjson.dumps(event)
    header = sign(settings.psp_webhook_secret.get_secret_value(), body, timestamp=ts)
    headers = {SIGNATURE_HEADER: header, "content-type": "application/json"}
    return await client.post(URL, content=body, headers=headers)


async def _pending_pix(ctx: ProviderContext) -> str:
    payment = await service.start_payment(
        ctx, order_id="o", method=PaymentMethod.PIX, amount_cents=500, currency="BRL"
    )
    assert payment.provider_ref is not None
    return payment.provider_ref


def _event(event_id: str, kind: str, charge_id: str) -> dict[str, object]:
    return {"id": event_id, "type": kind, "created": int(time.time()), "data": {"id": charge_id}}


async def test_forged_and_unsigned_webhooks_are_401(
    client: httpx.AsyncClient, settings: Settings, ctx: ProviderContext
) -> None:
    ref = await _pending_pix(ctx)
    body = orjson.dumps(_event("evt_1", "pix.received", ref))
    unsigned = await client.post(URL, content=body)
    assert unsigned.status_code == 401
    forged = await client.post(
        URL, content=body, headers={SIGNATURE_HEADER: sign("not-the-secret", body)}
    )
    assert forged.status_code == 401
    assert forged.json()["code"] == "webhook_signature_invalid"
    old = int(time.time()) - 900
    stale = await post_signed(client, settings, _event("evt_1", "pix.received", ref), old)
    assert stale.status_code == 401
    payment = await _payment_by_ref(ctx, ref)
    assert payment.status is PaymentStatus.PENDING


async def test_replay_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, settings: Settings, ctx: ProviderContext
) -> None:
    ref = await _pending_pix(ctx)
    event = _event("evt_7", "pix.received", ref)
    first = await post_signed(client, settings, event)
    again = await post_signed(client, settings, event)
    assert (first.json()["outcome"], again.json()["outcome"]) == ("applied", "duplicate")
    payment = await _payment_by_ref(ctx, ref)
    assert payment.captured_cents == 500  # counted once


async def test_out_of_order_events_do_not_move_backwards(
    client: httpx.AsyncClient, settings: Settings, ctx: ProviderContext
) -> None:
    ref = await _pending_pix(ctx)
    captured = await post_signed(client, settings, _event("evt_b", "charge.captured", ref))
    late_failure = await post_signed(client, settings, _event("evt_a", "charge.failed", ref))
    assert captured.json()["outcome"] == "applied"
    assert late_failure.json()["outcome"] == "stale"
    assert (await _payment_by_ref(ctx, ref)).status is PaymentStatus.CAPTURED


async def _payment_by_ref(ctx: ProviderContext, ref: str) -> Payment:
    payment = await repository.get_by_provider_ref(ctx.db, ref)
    assert payment is not None
    return payment


async def test_money_found_by_our_reference_when_the_charge_id_was_never_recorded(
    client: httpx.AsyncClient, settings: Settings, ctx: ProviderContext
) -> None:
    """A crash between the PSP's answer and our write leaves the payment without the
    charge id; the PSP's event still names our payment id as its reference."""
    now = datetime.now(UTC)
    payment = Payment(
        id="pay_crashed", order_id="o", processor="sandbox", method=Method.PIX,
        status=PaymentStatus.PENDING, amount_cents=700, currency="BRL",
        created_at=now, updated_at=now,
    )  # fmt: skip
    await repository.insert(ctx.db, payment)
    charge = {"id": "pix_abc", "reference": payment.id}
    event = {"id": "evt_r", "type": "pix.received", "created": int(time.time()), "data": charge}
    assert (await post_signed(client, settings, event)).json()["outcome"] == "applied"
    paid = await service.get_payment(ctx, payment.id)
    assert (paid.status, paid.captured_cents) == (PaymentStatus.CAPTURED, 700)
    # A reference naming a payment that belongs to another charge is not taken.
    other = {"id": "pix_other", "reference": payment.id}
    event = {"id": "evt_s", "type": "pix.received", "created": int(time.time()), "data": other}
    assert (await post_signed(client, settings, event)).json()["outcome"] == "unknown_payment"


async def test_a_charge_we_never_recorded_is_recorded_from_its_webhook(
    client: httpx.AsyncClient, settings: Settings, ctx: ProviderContext
) -> None:
    """The process that asked the PSP died before its insert: the PSP's event, naming
    our reference and the order (its metadata), records the payment as the PSP has it;
    a start racing it (its answer arriving after the webhook) completes that record."""
    charge = {
        "id": "ch_pay_lost", "kind": "card", "reference": "pay_lost", "amount_cents": 100,
        "currency": "BRL", "metadata": {"order_id": "ord_lost"},
    }  # fmt: skip
    event = {"id": "evt_l", "type": "charge.failed", "created": int(time.time()), "data": charge}
    assert (await post_signed(client, settings, event)).json()["outcome"] == "recorded"
    recorded = await service.get_payment(ctx, "pay_lost")
    assert (recorded.order_id, recorded.processor, recorded.method) == (
        "ord_lost",
        "sandbox",
        "card",
    )
    assert recorded.status is PaymentStatus.FAILED
    token = await client.post(
        "/sandbox-psp/v1/tokens",
        json={"number": "4000000000000002", "exp_month": 12, "exp_year": 2099, "cvc": "123"},
    )
    started = await service.start_payment(
        ctx, order_id="ord_lost", method=PaymentMethod.CARD_SANDBOX, amount_cents=100,
        currency="BRL", card_token=token.json()["token"], payment_id="pay_lost",
    )  # fmt: skip
    assert started.status is PaymentStatus.FAILED
    assert started.instructions["decline_code"] == "card_declined"
    assert started.card is not None
