"""Organizers manage their webhook subscriptions and read the delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ticketsafe.identity.deps import Organizer
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.deps import DbDep, SettingsDep
from ticketsafe.infra.errors import NotFound
from ticketsafe.infra.pagination import CursorParam, PageLimit
from ticketsafe.webhooks import repository as repo
from ticketsafe.webhooks import service
from ticketsafe.webhooks.models import (
    DeliveryPage,
    Subscription,
    SubscriptionCreate,
    SubscriptionCreated,
)

router = APIRouter(prefix="/orgs/{org_id}/webhooks", tags=["webhooks"])


def _member(org_id: str, user: Organizer) -> Principal:
    if not user.member_of(org_id):
        raise NotFound("no such organization", code="organization_not_found")
    return user


Member = Annotated[Principal, Depends(_member)]


@router.post("", status_code=201, operation_id="webhooks_subscribe")
async def subscribe(
    org_id: str, body: SubscriptionCreate, _: Member, db: DbDep, settings: SettingsDep
) -> SubscriptionCreated:
    """Subscribe a URL to event types; the signing secret is shown only in this answer."""
    allow = settings.webhooks_allow_private_targets
    return await service.subscribe(db, org_id, body, allow_private=allow)


@router.get("", operation_id="webhooks_list")
async def list_subscriptions(org_id: str, _: Member, db: DbDep) -> list[Subscription]:
    return await repo.subscriptions_of(db, org_id)


@router.delete("/{subscription_id}", status_code=204, operation_id="webhooks_unsubscribe")
async def unsubscribe(org_id: str, subscription_id: str, _: Member, db: DbDep) -> None:
    await service.unsubscribe(db, org_id, subscription_id)


@router.get("/{subscription_id}/deliveries", operation_id="webhooks_deliveries")
async def deliveries(
    org_id: str,
    subscription_id: str,
    _: Member,
    db: DbDep,
    cursor: CursorParam = None,
    limit: PageLimit = 50,
) -> DeliveryPage:
    """The delivery log, newest first: every attempt with its status code, error and
    duration. Pass `next_cursor` back as `cursor` for the next page."""
    page = await service.deliveries(db, org_id, subscription_id, cursor, limit)
    return DeliveryPage(items=page.items, next_cursor=page.next_cursor)
