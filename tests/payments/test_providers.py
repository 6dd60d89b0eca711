"""Every payment method end to end against the real stores and the sandbox PSP."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.payments.conftest import drain
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, ServiceBusy
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.resources import Resources
from ticketsafe.payments import service
from ticketsafe.payments.brcode import parse
from ticketsafe.payments.models import Payment, PaymentMethod, PaymentStatus
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.payments.processors.sandbox import call
from ticketsafe.sandbox_psp.process import SandboxPspProcess

VISA_OK = "4242 4242 4242 4242"
VISA_3DS = "4000000000003220"
VISA_DECLINED = "4000000000000002"


async def card_token(client: httpx.AsyncClient, number: str) -> str:
    r = await client.post(
        "/sandbox-psp/v1/tokens",
        json={"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


async def card_payment(
    client: httpx.AsyncClient, ctx: ProviderContext, number: str, amount_cents: int
) -> Payment:
    return await service.start_payment(
        ctx, order_id="ord_card", method=PaymentMethod.CARD_SANDBOX,
        amount_cents=amount_cents, currency="BRL", card_token=await card_token(client, number),
        payer_id=PAYER,
    )  # fmt: skip


PAYER = "usr_payer"


async def at_psp(ctx: ProviderContext, charge_id: str | None) -> dict[str, Any]:
    """The charge as the sandbox PSP (its own process) has it."""
    assert charge_id is not None
    return await call(ctx.http, ctx.settings, "GET", f"/charges/{charge_id}")


async def authorize(ctx: ProviderContext, token: str, reference: str) -> dict[str, Any]:
    body = {"token": token, "amount_cents": 700, "currency": "BRL", "reference": reference}
    return await call(ctx.http, ctx.settings, "POST", "/charges/card", json=body)


def bearer(app: FastAPI, user_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {app.state.services.token_codec.issue(Principal(user_id))}"}


async def test_tokenising_keeps_only_brand_and_last4(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    r = await client.post(
        "/sandbox-psp/v1/tokens",
        json={"number": "5555555555554444", "exp_month": 1, "exp_year": 2099, "cvc": "321"},
    )
    body = r.json()
    assert (body["brand"], body["last4"], body["test_mode"]) == ("mastercard", "4444", True)
    for name in await resources.db.list_collection_names():
        async for doc in resources.db[name].find():
            assert "5555555555554444" not in str(doc)
            assert "321" not in str(doc.get("cvc", ""))


async def test_invalid_card_is_422_with_fields(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/sandbox-psp/v1/tokens",
        json={"number": "4242424242424241", "exp_month": 1, "exp_year": 2001, "cvc": "12a"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "card_invalid"
    assert r.json()["fields"] == ["number", "expiry", "cvc"]


async def test_card_authorise_then_capture(client: httpx.AsyncClient, ctx: ProviderContext) -> None:
    payment = await card_payment(client, ctx, VISA_OK, 5000)
    assert payment.status is PaymentStatus.AUTHORIZED
    assert payment.card is not None
    assert (payment.card.brand, payment.card.last4) == ("visa", "4242")
    captured = await service.capture(ctx, payment.id)
    assert (captured.status, captured.captured_cents) == (PaymentStatus.CAPTURED, 5000)
    assert (await at_psp(ctx, payment.provider_ref))["state"] == "captured"


async def test_token_is_single_use(client: httpx.AsyncClient, ctx: ProviderContext) -> None:
    token = await card_token(client, VISA_OK)
    await service.start_payment(
        ctx, order_id="o", method=PaymentMethod.CARD_SANDBOX, amount_cents=1, currency="BRL",
        card_token=token,
    )  # fmt: skip
    with pytest.raises(Conflict):
        await service.start_payment(
            ctx, order_id="o2", method=PaymentMethod.CARD_SANDBOX, amount_cents=1,
            currency="BRL", card_token=token,
        )  # fmt: skip


async def test_the_gateway_answers_the_same_charge_for_the_same_reference(
    client: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    """The reference is the merchant's idempotency key: asked again (its process died
    during the call), the gateway answers the charge it made, as it stands, and takes
    no new token; another reference is another charge."""
    first = await authorize(ctx, await card_token(client, VISA_OK), "pay_same")
    await call(ctx.http, ctx.settings, "POST", f"/charges/{first['id']}/capture")
    token = await card_token(client, VISA_OK)
    again = await authorize(ctx, token, "pay_same")
    assert (again["id"], again["state"]) == (first["id"], "captured")
    other = await authorize(ctx, token, "pay_other")  # the token was not taken by the repeat
    assert other["id"] != first["id"]
    assert other["state"] == "authorized"


async def test_declined_card_fails(client: httpx.AsyncClient, ctx: ProviderContext) -> None:
    payment = await card_payment(client, ctx, VISA_DECLINED, 100)
    assert payment.status is PaymentStatus.FAILED
    assert payment.instructions["decline_code"] == "card_declined"


async def test_3ds_confirmation_arrives_by_signed_webhook(
    app: FastAPI, client: httpx.AsyncClient, ctx: ProviderContext, worker_resources: Resources
) -> None:
    payment = await card_payment(client, ctx, VISA_3DS, 100)
    assert payment.status is PaymentStatus.REQUIRES_ACTION
    url = payment.instructions["challenge_url"]
    approve = {"outcome": "approve"}
    assert (await client.post(url, json=approve, headers=bearer(app, PAYER))).status_code == 200
    # The PSP delivered its webhook over HTTP to our app before answering the buyer.
    assert (await service.get_payment(ctx, payment.id)).status is PaymentStatus.AUTHORIZED
    await drain(ctx, worker_resources)


async def test_only_the_paying_buyer_sees_or_answers_the_card_challenge(
    app: FastAPI, client: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    """The challenge's id is derivable from the payment id: anonymous callers get 401,
    any other account 404 (as for an unknown charge), and nothing moves."""
    payment = await card_payment(client, ctx, VISA_3DS, 100)
    url = payment.instructions["challenge_url"]
    for outcome in ("approve", "fail"):
        anonymous = await client.post(url, json={"outcome": outcome})
        assert anonymous.status_code == 401
        other = await client.post(url, json={"outcome": outcome}, headers=bearer(app, "usr_x"))
        assert (other.status_code, other.json()["code"]) == (404, "charge_unknown")
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=bearer(app, "usr_x"))).status_code == 404
    seen = await client.get(url, headers=bearer(app, PAYER))
    assert (seen.status_code, seen.json()["state"]) == (200, "requires_action")
    charge = await at_psp(ctx, payment.provider_ref)
    assert charge["state"] == "requires_action"  # untouched by the others


async def test_pix_br_code_and_webhook_confirmation(
    client: httpx.AsyncClient, ctx: ProviderContext, worker_resources: Resources
) -> None:
    payment = await service.start_payment(
        ctx, order_id="ord_pix", method=PaymentMethod.PIX, amount_cents=9_990, currency="BRL"
    )
    assert payment.status is PaymentStatus.PENDING
    fields = parse(payment.instructions["pix_copia_e_cola"])
    assert fields["54"] == "99.90"
    assert "qr_svg" not in payment.instructions  # drawn on request, not stored
    assert payment.provider_ref is not None
    txid = payment.provider_ref.removeprefix("pix_")
    assert (await client.post(f"/sandbox-psp/v1/pix/{txid}/pay")).status_code == 200
    await drain(ctx, worker_resources)
    paid = await service.get_payment(ctx, payment.id)
    assert (paid.status, paid.captured_cents) == (PaymentStatus.CAPTURED, 9_990)


async def test_reconcile_records_money_only_the_psp_knows_of_once(
    client: httpx.AsyncClient, ctx: ProviderContext, worker_resources: Resources
) -> None:
    """Unpaid: nothing changes. Paid with its webhook lost (delivered nowhere): recorded
    captured. A reader holding the payment from before gets the payment as stored, not
    a conflict, and the money is counted once."""
    lost = replace(
        ctx,
        settings=ctx.settings.model_copy(
            update={"sandbox_psp_notify_url": "http://127.0.0.1:9/lost"}
        ),
    )
    payment = await service.start_payment(
        lost, order_id="ord_rec", method=PaymentMethod.PIX, amount_cents=5_000, currency="BRL"
    )
    assert (await service.reconcile(ctx, payment)).status is PaymentStatus.PENDING
    assert payment.provider_ref is not None
    txid = payment.provider_ref.removeprefix("pix_")
    assert (await client.post(f"/sandbox-psp/v1/pix/{txid}/pay")).status_code == 200
    assert (await service.get_payment(ctx, payment.id)).status is PaymentStatus.PENDING
    found = await service.reconcile(ctx, payment)
    assert (found.status, found.captured_cents) == (PaymentStatus.CAPTURED, 5_000)
    await drain(ctx, worker_resources)
    late = await service.reconcile(ctx, payment)  # a copy from before
    assert (late.status, late.captured_cents) == (PaymentStatus.CAPTURED, 5_000)


async def test_reconcile_records_money_paid_into_a_voided_pix(
    client: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    """We gave up on the PIX (its order ended) but the payer's bank paid the BR Code
    anyway, and no webhook said so: the money is a fact, recorded captured so that
    orders can return it."""
    payment = await service.start_payment(
        ctx, order_id="ord_void", method=PaymentMethod.PIX, amount_cents=5_000, currency="BRL"
    )
    voided = await service.void(ctx, payment.id)
    assert (await service.reconcile(ctx, voided)).status is PaymentStatus.VOIDED
    assert payment.provider_ref is not None
    txid = payment.provider_ref.removeprefix("pix_")
    assert (await client.post(f"/sandbox-psp/v1/pix/{txid}/pay")).status_code == 200
    found = await service.reconcile(ctx, voided)
    assert (found.status, found.captured_cents) == (PaymentStatus.CAPTURED, 5_000)


async def test_a_refund_the_psp_refuses_is_not_recorded_as_made(
    client: httpx.AsyncClient, ctx: ProviderContext, resources: Resources
) -> None:
    """The PSP refuses (or cannot be reached): our claim on the refund is given back,
    so the money still shows captured and the refund can be asked for again."""
    payment = await service.start_payment(
        ctx, order_id="ord_ref", method=PaymentMethod.PIX, amount_cents=5_000, currency="BRL"
    )
    assert payment.provider_ref is not None
    txid = payment.provider_ref.removeprefix("pix_")
    assert (await client.post(f"/sandbox-psp/v1/pix/{txid}/pay")).status_code == 200
    captured = await service.reconcile(ctx, payment)
    unreachable = replace(
        ctx, settings=ctx.settings.model_copy(update={"sandbox_psp_url": "http://127.0.0.1:9"})
    )
    with pytest.raises(ServiceBusy):
        await service.refund(unreachable, captured.id, 5_000)
    kept = await service.get_payment(ctx, payment.id)
    assert (kept.status, kept.refunded_cents) == (PaymentStatus.CAPTURED, 0)
    refunded = await service.refund(ctx, payment.id, 5_000)  # the PSP answers again
    assert (refunded.status, refunded.refunded_cents) == (PaymentStatus.REFUNDED, 5_000)
    assert (await at_psp(ctx, payment.provider_ref))["refunded_cents"] == 5_000


async def test_pix_refuses_other_currencies(ctx: ProviderContext) -> None:
    with pytest.raises(BusinessRuleViolation):
        await service.start_payment(
            ctx, order_id="o", method=PaymentMethod.PIX, amount_cents=100, currency="USD"
        )


async def test_free_and_bank_transfer(ctx: ProviderContext) -> None:
    free = await service.start_payment(
        ctx, order_id="o1", method=PaymentMethod.FREE, amount_cents=0, currency="BRL"
    )
    assert free.status is PaymentStatus.CAPTURED
    with pytest.raises(BusinessRuleViolation):
        await service.start_payment(
            ctx, order_id="o2", method=PaymentMethod.FREE, amount_cents=10, currency="BRL"
        )
    transfer = await service.start_payment(
        ctx, order_id="o3", method=PaymentMethod.BANK_TRANSFER, amount_cents=700, currency="BRL"
    )
    assert transfer.status is PaymentStatus.PENDING
    assert transfer.instructions["reference"]
    assert (await service.mark_paid(ctx, transfer.id)).status is PaymentStatus.CAPTURED


async def test_void_releases_the_authorisation(
    client: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    payment = await card_payment(client, ctx, VISA_OK, 100)
    voided = await service.void(ctx, payment.id)
    assert voided.status is PaymentStatus.VOIDED
    assert (await at_psp(ctx, payment.provider_ref))["state"] == "voided"
    with pytest.raises(service.PaymentConflict):
        await service.capture(ctx, payment.id)


async def test_partial_then_full_refund_and_no_over_refund(
    client: httpx.AsyncClient, ctx: ProviderContext
) -> None:
    payment = await card_payment(client, ctx, VISA_OK, 1000)
    await service.capture(ctx, payment.id)
    part = await service.refund(ctx, payment.id, 300)
    assert (part.status, part.refunded_cents) == (PaymentStatus.PARTIALLY_REFUNDED, 300)
    with pytest.raises(service.PaymentConflict):
        await service.refund(ctx, payment.id, 701)
    full = await service.refund(ctx, payment.id, 700)
    assert (full.status, full.refunded_cents) == (PaymentStatus.REFUNDED, 1000)


async def test_racing_refunds_return_money_once(
    client: httpx.AsyncClient, ctx: ProviderContext, resources: Resources
) -> None:
    payment = await card_payment(client, ctx, VISA_OK, 1000)
    await service.capture(ctx, payment.id)
    contexts = [
        ProviderContext(resources.db, resources.redis, JobBuffer(), ctx.settings, ctx.http)
        for _ in range(8)
    ]
    results = await asyncio.gather(
        *(service.refund(c, payment.id, 1000) for c in contexts), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert all(isinstance(r, service.PaymentConflict) for r in results if isinstance(r, Exception))
    assert (await at_psp(ctx, payment.provider_ref))["refunded_cents"] == 1000


async def test_a_gateway_that_lost_its_ledger_cannot_capture_but_can_void(
    client: httpx.AsyncClient, ctx: ProviderContext, tmp_path: Path
) -> None:
    """The sandbox PSP keeps its ledger in its own memory: restarted, the authorisation
    is gone — capture fails cleanly (the order then expires and its seats return) and
    void succeeds (nothing is held any more)."""
    payment = await card_payment(client, ctx, VISA_OK, 100)
    assert payment.provider_ref is not None
    assert ctx.settings.psp_webhook_secret is not None
    restarted = SandboxPspProcess(tmp_path, ctx.settings.psp_webhook_secret.get_secret_value())
    url = restarted.start()
    try:
        forgot = replace(ctx, settings=ctx.settings.model_copy(update={"sandbox_psp_url": url}))
        with pytest.raises(Conflict):
            await service.capture(forgot, payment.id)
        assert (await service.void(forgot, payment.id)).status is PaymentStatus.VOIDED
    finally:
        restarted.stop()
