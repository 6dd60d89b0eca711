"""The buyer's journey in a real browser: queue → admission → two adjacent seats on the
map → PIX → paid, shown live → My tickets with two rotating QR codes; a second buyer on
a phone sees those seats turn unavailable without reloading; axe-core finds no serious
or critical violation on any page of the flow."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.identity.conftest import body_of
from tests.web.conftest import Shop, event_id_named

DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=360, height=740)
TIMEOUT_MS = 45_000
SEATS = ("A:r-10:s-20", "A:r-10:s-21")  # adjacent: same row, consecutive


async def check_accessibility(page: Page, name: str, found: dict[str, Any]) -> None:
    results = await Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    found[name] = [(v["id"], v["impact"], len(v["nodes"])) for v in bad]


async def snap(page: Page, artifacts: Path, name: str) -> None:
    await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


async def log_in(page: Page, shop: Shop, email: str, password: str) -> None:
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label(re.compile("Password|Senha")).fill(password)
    await page.get_by_role("button", name=re.compile("^(Log in|Entrar)$")).click()


async def reach_seat_map(page: Page, shop: Shop, event_id: str) -> None:
    await expect(page).to_have_url(re.compile(f"/event/{event_id}/(queue|seats)"))
    await expect(page).to_have_url(re.compile(f"/event/{event_id}/seats"), timeout=TIMEOUT_MS)
    await expect(page.locator(f'[data-seat="{SEATS[0]}"]')).to_be_visible(timeout=TIMEOUT_MS)


async def the_qr_is_the_servers_live_code_and_rotates(page: Page, shop: Shop) -> None:
    """The browser computes the one-time value itself; the gate must accept it: it is
    what the server computes for the same step, and it changes at the next step."""
    session = json.loads(await page.evaluate("localStorage.getItem('ticketsafe.session')"))
    auth = {"Authorization": f"Bearer {session['accessToken']}"}
    ticket_id = await page.locator("[data-ticket]").first.get_attribute("data-ticket")
    qr = page.locator(f'[data-ticket="{ticket_id}"] img[data-live-code]')
    for _ in range(3):  # a step may turn between the two reads: read again
        before = await qr.get_attribute("data-live-code")
        r = await page.request.get(f"{shop.url}/me/tickets/{ticket_id}/live-code", headers=auth)
        assert r.status == 200, await r.text()
        server = (await r.json())["live_code"]
        if before == await qr.get_attribute("data-live-code") == server:
            break
    else:
        raise AssertionError(f"QR {before!r} is not the server's {server!r}")
    await expect(qr).not_to_have_attribute("data-live-code", before or "", timeout=20_000)


async def test_a_buyer_buys_two_adjacent_seats_by_pix_and_another_sees_them_go(
    shop: Shop, browser: Browser, artifacts: Path
) -> None:
    event_id = event_id_named(shop, "Demo: à venda agora")
    violations: dict[str, Any] = {}
    buyer = await browser.new_page(viewport=DESKTOP, locale="en-US")
    phone = await browser.new_page(viewport=PHONE, locale="pt-BR", is_mobile=True, has_touch=True)
    buyer.set_default_timeout(TIMEOUT_MS)
    phone.set_default_timeout(TIMEOUT_MS)

    # The first buyer browses to the event and logs in with the demo account.
    await buyer.goto(shop.url + "/")
    await buyer.get_by_role("link", name=re.compile("on sale now")).click()
    await expect(buyer.get_by_role("heading", level=1)).to_contain_text("on sale now")
    await snap(buyer, artifacts, "01-event-desktop")
    await check_accessibility(buyer, "event", violations)
    await buyer.get_by_role("link", name="Log in to buy tickets").click()
    await check_accessibility(buyer, "login", violations)
    await log_in(buyer, shop, *shop.demo_login("buyer"))

    # The second buyer signs up on a phone (Portuguese) and reaches the same seat map.
    await phone.goto(shop.url + f"/event/{event_id}")
    await snap(phone, artifacts, "02-event-phone")
    await phone.get_by_role("link", name="Entre para comprar ingressos").click()
    await phone.get_by_role("main").get_by_role("link", name="Criar conta").click()
    await phone.get_by_label("Nome completo").fill("Segunda Compradora")
    second = f"segunda-{uuid.uuid4().hex[:8]}@example.com"
    await phone.get_by_label("E-mail").fill(second)
    await phone.get_by_label("Senha").fill("uma-senha-bem-longa")
    await check_accessibility(phone, "register", violations)
    await phone.get_by_role("button", name="Criar conta").click()

    await reach_seat_map(buyer, shop, event_id)
    await snap(buyer, artifacts, "03-seat-map-desktop")
    await check_accessibility(buyer, "seat map", violations)
    await reach_seat_map(phone, shop, event_id)
    await snap(phone, artifacts, "04-seat-map-phone")
    for seat in SEATS:
        await expect(phone.locator(f'[data-seat="{seat}"]')).to_have_attribute(
            "data-status", "available"
        )

    # Two adjacent seats, held; checkout by PIX.
    for seat in SEATS:
        await buyer.locator(f'[data-seat="{seat}"]').click()
        await expect(buyer.locator(f'[data-seat="{seat}"]')).to_have_attribute(
            "data-status", "selected"
        )
    await buyer.get_by_role("button", name="Hold these seats").click()
    await expect(buyer).to_have_url(re.compile(f"/event/{event_id}/checkout/"))
    await expect(buyer.get_by_role("timer")).to_contain_text("held for")
    await snap(buyer, artifacts, "05-checkout-desktop")
    await check_accessibility(buyer, "checkout", violations)

    # Meanwhile, without reloading, the phone shows those seats taken.
    for seat in SEATS:
        await expect(phone.locator(f'[data-seat="{seat}"]')).to_have_attribute(
            "data-status", re.compile("held|sold")
        )
    await snap(phone, artifacts, "06-seats-gone-phone")

    await buyer.get_by_label("PIX").check()
    await buyer.get_by_role("button", name=re.compile("^Pay ")).click()
    await expect(buyer).to_have_url(re.compile("/order/"))
    await expect(buyer.get_by_role("img", name="PIX QR code")).to_be_visible()
    await snap(buyer, artifacts, "07-pix-desktop")
    await check_accessibility(buyer, "order", violations)
    # The sandbox PSP takes the payment; its signed webhook reaches the worker; the page
    # shows the order paid without a reload.
    await buyer.get_by_role("button", name="Simulate the PIX payment (test mode)").click()
    await expect(buyer.locator("[data-order-status]")).to_have_attribute(
        "data-order-status", "paid", timeout=TIMEOUT_MS
    )
    await snap(buyer, artifacts, "08-paid-desktop")

    # The paid order leads to My tickets: one rotating QR per seat.
    await buyer.get_by_role("link", name="See your tickets").click()
    await expect(buyer).to_have_url(re.compile("/account/tickets$"))
    await expect(buyer.locator("[data-ticket]")).to_have_count(2, timeout=TIMEOUT_MS)
    qrs = buyer.get_by_role("img", name=re.compile("^Entry QR code for "))
    await expect(qrs).to_have_count(2)
    for qr in await qrs.all():
        await expect(qr).to_be_visible()
    await expect(buyer.get_by_text(re.compile(r"The code changes in \d+ s")).first).to_be_visible()
    await snap(buyer, artifacts, "09-my-tickets-desktop")
    await the_qr_is_the_servers_live_code_and_rotates(buyer, shop)

    # One ticket goes to the second buyer by e-mail; she accepts it on her phone.
    card = buyer.locator("[data-ticket]").first
    ticket_id = await card.get_attribute("data-ticket")
    async with buyer.expect_download() as download_info:
        await card.get_by_role("button", name="Download PDF").click()
    download = await download_info.value
    assert download.suggested_filename == f"ticket-{ticket_id}.pdf"
    pdf = await download.path()
    assert pdf.read_bytes().startswith(b"%PDF-")
    await card.get_by_role("button", name="Transfer").click()
    await card.get_by_label(re.compile("^Receiver's e-mail")).fill(second)
    await card.get_by_role("button", name="Transfer").click()
    await expect(card.get_by_role("status")).to_contain_text(f"Offered to {second}")
    link = await mailed_link(shop, second, r"http://\S+/account/transfers/\S+")
    await phone.goto(link)
    await check_accessibility(phone, "accept transfer", violations)
    await phone.get_by_role("button", name="Aceitar o ingresso").click()
    await expect(phone.get_by_role("status")).to_contain_text("O ingresso é seu.")
    await phone.get_by_role("main").get_by_role("link", name="Meus ingressos").click()
    await expect(phone.locator(f'[data-ticket="{ticket_id}"] img[data-live-code]')).to_be_visible()
    await snap(phone, artifacts, "10-accepted-ticket-phone")
    await check_accessibility(phone, "my tickets (phone)", violations)
    await check_accessibility(buyer, "my tickets", violations)

    await buyer.goto(shop.url + "/account/orders")
    await expect(buyer.get_by_text("Paid — your tickets are confirmed")).to_be_visible()
    await check_accessibility(buyer, "my orders", violations)
    assert all(not found for found in violations.values()), violations


async def mailed_link(shop: Shop, to: str, pattern: str) -> str:
    """The first link matching `pattern` in a mail to `to` filed by serve's SMTP catcher."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for path in sorted((shop.data_dir / "mail").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if message["To"] == to and (found := re.search(pattern, body_of(message))):
                return found.group(0)
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail to {to} with {pattern}")


async def test_a_buyer_resets_a_forgotten_password_from_the_emailed_link(
    shop: Shop, browser: Browser, artifacts: Path
) -> None:
    address = f"esqueci-{uuid.uuid4().hex[:8]}@example.com"
    new_password = "a brand new long password"
    violations: dict[str, Any] = {}
    page = await browser.new_page(viewport=DESKTOP, locale="en-US")
    page.set_default_timeout(TIMEOUT_MS)
    registered = await page.request.post(
        f"{shop.url}/auth/register",
        data={"email": address, "password": "the old long password", "name": "Bia Lima"},
    )
    assert registered.status == 201, await registered.text()

    await page.goto(shop.url + "/login")
    await page.get_by_role("link", name="Forgot your password?").click()
    await expect(page).to_have_url(re.compile("/account/forgot-password$"))
    await page.get_by_label("E-mail").fill(address)
    await check_accessibility(page, "forgot password", violations)
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.get_by_role("status")).to_contain_text("a link is on its way")

    link = await mailed_link(shop, address, r"http://\S+#token=\S+")
    assert link.startswith(f"{shop.url}/account/reset-password#token=pr_"), link
    await page.goto(link)
    await page.get_by_label(re.compile("^New password")).fill(new_password)
    await check_accessibility(page, "reset password", violations)
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.get_by_role("status")).to_contain_text("Your password was changed")
    await snap(page, artifacts, "11-password-reset-desktop")
    await page.get_by_role("main").get_by_role("link", name="Log in").click()
    await log_in(page, shop, address, new_password)
    await expect(page.get_by_role("link", name="My tickets")).to_be_visible()
    assert all(not found for found in violations.values()), violations
