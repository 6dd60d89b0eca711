"""Orders API: buyers check out and see their orders; organizers manage theirs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter

from ticketsafe.catalog.errors import EventNotFound
from ticketsafe.catalog.read_models import get_sales_view
from ticketsafe.identity.deps import CurrentUser, Organizer, VaultDep, fast_current_user
from ticketsafe.identity.principal import Principal
from ticketsafe.infra import audit
from ticketsafe.infra.deps import DbDep
from ticketsafe.infra.errors import NotFound
from ticketsafe.infra.fastlane import FastRequest, FastResponse, FastRoute
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.openapi import problems
from ticketsafe.infra.pagination import CursorParam, PageLimit
from ticketsafe.orders import history
from ticketsafe.orders import repository as repo
from ticketsafe.orders.deps import OrdersDep
from ticketsafe.orders.export import attendees_csv
from ticketsafe.orders.models import OrderStatus
from ticketsafe.orders.schemas import (
    CancelRequest,
    CheckoutRequest,
    OrderOut,
    OrderPage,
    RefundRequest,
)
from ticketsafe.orders.service import OrderService

router = APIRouter(tags=["orders"])


@router.post(
    "/orders", status_code=201, operation_id="orders_checkout", responses=problems(404, 410)
)
async def checkout(body: CheckoutRequest, user: CurrentUser, orders: OrdersDep) -> OrderOut:
    """Turn a hold into an order and start its payment (send an Idempotency-Key)."""
    order, payment = await orders.checkout(user, body)
    return OrderOut.of(order, payment)


_CHECKOUT_IN: TypeAdapter[CheckoutRequest] = TypeAdapter(CheckoutRequest)
_ORDER_OUT: TypeAdapter[OrderOut] = TypeAdapter(OrderOut)


async def fast_checkout(request: FastRequest) -> FastResponse | None:
    """`checkout` on the fast lane, inside the idempotency middleware (which keeps the
    Idempotency-Key as for the route); anything unusual goes to the route above. Its
    jobs leave as the route's do: after the answer (`infra.job_flush`)."""
    body = request.json_as(_CHECKOUT_IN)
    if body is None:
        return None
    user = await fast_current_user(request)
    orders: OrderService = request.app.state.services.orders(request.jobs)
    order, payment = await orders.checkout(user, body)
    return FastResponse(201, _ORDER_OUT.dump_json(OrderOut.of(order, payment), by_alias=True))


# Behind the idempotency middleware (see `FastLane`): every checkout sends a key.
FAST_ROUTES = [FastRoute("POST", "/orders", fast_checkout)]


@router.get("/orders/{order_id}", operation_id="orders_get")
async def get_order(order_id: str, user: CurrentUser, orders: OrdersDep) -> OrderOut:
    return OrderOut.of(*await orders.for_buyer_as_it_stands(user, order_id))


@router.get(
    "/orders/{order_id}/pix-qr.svg", operation_id="orders_pix_qr",
    response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}},
)  # fmt: skip
async def pix_qr(order_id: str, user: CurrentUser, orders: OrdersDep) -> Response:
    """The order's PIX BR Code as a QR image to scan with a bank's app (404 when the
    order is not paid by PIX)."""
    svg = await orders.pix_qr_svg(user, order_id)
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "private"})


@router.get("/me/orders", operation_id="orders_mine")
async def my_orders(
    user: CurrentUser,
    orders: OrdersDep,
    cursor: CursorParam = None,
    limit: PageLimit = 50,
) -> OrderPage:
    """The caller's orders, newest first, each with its payment as `GET /orders/{id}`
    shows it; pass `next_cursor` back for the next page."""
    page = await history.orders_of_buyer(orders, user, cursor=cursor, limit=limit)
    return OrderPage(items=[OrderOut.of(o, p) for o, p in page.items], next_cursor=page.next_cursor)


@router.post("/orders/{order_id}/cancel", operation_id="orders_cancel")
async def cancel(
    order_id: str, body: CancelRequest, user: CurrentUser, orders: OrdersDep
) -> OrderOut:
    """Cancel an unpaid order, or a paid one where the event allows it (full refund); the
    seats go back on sale at once."""
    return OrderOut.of(await orders.cancel_by_buyer(user, order_id, body.reason))


@router.get("/orgs/{org_id}/orders", operation_id="orders_list")
async def list_orders(
    org_id: str,
    *,
    user: Organizer,
    db: DbDep,
    vault: VaultDep,
    event_id: str | None = None,
    status: OrderStatus | None = None,
    q: Annotated[
        str | None, Query(max_length=254, description="An order id or a buyer's e-mail.")
    ] = None,
    cursor: CursorParam = None,
    limit: PageLimit = 50,
) -> OrderPage:
    """The organization's orders, newest first; filter by event and status, search by
    order id or by buyer e-mail (matched through its blind index, never in clear). Pass
    `next_cursor` back as `cursor` for the next page (400 `invalid_cursor` for one this
    API did not hand out)."""
    if not user.member_of(org_id):
        raise NotFound("no such organization", code="organization_not_found")
    by_email = vault.email_index(q) if q and "@" in q else None
    found = await repo.search(
        db, org_id=org_id, event_id=event_id, status=status, cursor=cursor, limit=limit,
        order_id=q if q and by_email is None else None, buyer_email_index=by_email,
    )  # fmt: skip
    return OrderPage.of(found)


@router.post(
    "/orgs/{org_id}/orders/{order_id}/mark-paid",
    operation_id="orders_mark_paid",
)  # fmt: skip
async def mark_paid(org_id: str, order_id: str, user: Organizer, orders: OrdersDep) -> OrderOut:
    """Bank transfer arrived: mark the order paid."""
    order = await orders.get_for_organizer(user, order_id)
    if order.org_id != org_id:
        raise NotFound("no such order", code="order_not_found")
    return OrderOut.of(await orders.mark_paid(user, order_id))


@router.post(
    "/orgs/{org_id}/orders/{order_id}/refund",
    operation_id="orders_refund",
)  # fmt: skip
async def refund(
    org_id: str, order_id: str, body: RefundRequest, user: Organizer, orders: OrdersDep
) -> OrderOut:
    """Full or partial refund (by lines); refunded seats go back on sale immediately."""
    order = await orders.get_for_organizer(user, order_id)
    if order.org_id != org_id:
        raise NotFound("no such order", code="order_not_found")
    return OrderOut.of(await orders.refund(user.user_id, order, body.line_ids, body.reason))


@router.get(
    "/orgs/{org_id}/events/{event_id}/attendees.csv",
    operation_id="orders_export_csv", response_class=StreamingResponse,
)  # fmt: skip
async def export_csv(
    org_id: str, event_id: str, user: Organizer, db: DbDep, vault: VaultDep
) -> StreamingResponse:
    """Orders and attendees, decrypted for this organizer; every export is audited."""
    await _require_event_of(db, user, org_id, event_id)
    await audit.record(db, actor=user.user_id, action="orders.exported", subject=event_id)
    return StreamingResponse(
        attendees_csv(db, vault, event_id),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{event_id}-attendees.csv"'},
    )


@router.get(
    "/orgs/{org_id}/events/{event_id}/refunds",
    operation_id="orders_event_refund_progress",
)  # fmt: skip
async def event_refund_progress(
    org_id: str, event_id: str, user: Organizer, db: DbDep
) -> dict[str, object]:
    """Progress of the refunds of a cancelled event (total, done, failed, finished)."""
    await _require_event_of(db, user, org_id, event_id)
    progress = await repo.bulk_refund_of(db, event_id)
    if progress is None:
        raise NotFound("no refunds for this event", code="refunds_not_found")
    return progress


async def _require_event_of(db: Database, user: Principal, org_id: str, event_id: str) -> None:
    """The caller belongs to `org_id` and the event is that organization's (catalog's
    word, so an event without orders is checked as well); 404 otherwise."""
    if not user.member_of(org_id):
        raise NotFound("no such organization", code="organization_not_found")
    try:
        view = await get_sales_view(db, event_id)
    except EventNotFound:
        view = None
    if view is None or view.org_id != org_id:
        raise NotFound("no such event", code="event_not_found")
