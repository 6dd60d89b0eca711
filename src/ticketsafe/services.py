"""The composition root: every service of a process, built once from its `Resources`.

`Services.build(resources)` runs once per process — in the API's lifespan (`app.py`), at
worker start (`roles/serve.py`, which hands it to `tasks.build_registry` /
`tasks.periodic_tasks`) and in CLI commands that need a service. Everything a request,
the fast lane or a job reads comes from here:

- FastAPI dependencies return the container's instances (`request.app.state.services`);
  `tests/test_services.py` checks that each one does, and that no request-path module
  (`deps.py`, `endpoints.py`, `tasks.py`) constructs a service itself.
- Settings reach every copy because there is one copy: `inventory_commit_grace_s` and
  `inventory_extend_warning_s` used to reach only the API's inventory, while the
  worker's sweep, the on-sale reactions and the order jobs each built their own with
  the defaults (a commit grace of 30 s whatever was configured).

A request's jobs are its own (`JobBuffer`, flushed by `infra.job_flush`): the order
service and the payment context carry that buffer, so they are bound per unit of work
by `orders(jobs)` / `payments(jobs)` — a dataclass over this container's collaborators,
never assembled anywhere else.

Nothing here connects or reads a store: building is cheap and synchronous.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import httpx

from ticketsafe.catalog.events.status_listeners import StatusListener
from ticketsafe.catalog.read_models import owner_of
from ticketsafe.checkin.service import CheckinService
from ticketsafe.checkin.stats import LiveCheckinStats
from ticketsafe.identity.access import Access
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.service import AccountService
from ticketsafe.identity.sessions import SessionService
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.crypto.keyring import KeyRing, load_keyring
from ticketsafe.infra.jobs import JobBuffer, JobQueue
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.ratelimit import RateLimiter
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault
from ticketsafe.inventory.service import InventoryService
from ticketsafe.onsale.service import status_listener
from ticketsafe.orders.history import OrdersOfHolds
from ticketsafe.orders.pricing import PriceBook
from ticketsafe.orders.service import OrderService
from ticketsafe.payments.processors import ProviderContext
from ticketsafe.realtime.me_feed import ticket_transferred
from ticketsafe.realtime.session import LiveContext
from ticketsafe.realtime.wiring import build_live
from ticketsafe.tickets.delivery import Delivery
from ticketsafe.tickets.models import Ticket
from ticketsafe.tickets.service import TicketService
from ticketsafe.tickets.transfers import TransferService
from ticketsafe.waitingroom.service import WaitingRoom


@dataclass(frozen=True, slots=True)
class Services:
    resources: Resources
    keyring: KeyRing
    # identity
    token_codec: AccessTokenCodec
    access: Access  # sessions still standing and live memberships, for every request
    vault: PiiVault
    sessions: SessionService
    accounts: AccountService
    organizations: OrganizationService
    # the sale
    inventory: InventoryService
    waiting_room: WaitingRoom
    prices: PriceBook
    hold_orders: OrdersOfHolds  # a hold that is gone says which order it became
    # after the sale
    tickets: TicketService
    transfers: TransferService
    delivery: Delivery
    checkin: CheckinService
    # catalog status changes open inventory and queues and refund cancelled events
    status_listeners: tuple[StatusListener, ...]
    # live updates (SSE / WebSocket): one pub/sub hub and seat feeds per process
    hub: Hub
    live: LiveContext

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def db(self) -> Database:
        return self.resources.db

    @property
    def redis(self) -> RedisClient:
        return self.resources.redis

    @property
    def queue(self) -> JobQueue:
        return self.resources.queue

    @property
    def http(self) -> httpx.AsyncClient:
        return self.resources.http  # how payment processors reach their PSPs

    def orders(self, jobs: JobBuffer) -> OrderService:
        """The order service for one unit of work (a request or a job), whose `jobs`
        leave when that unit ends; every collaborator is this container's."""
        return OrderService(
            self.db, self.redis, jobs, self.settings, self.http, self.vault, self.inventory,
            self.prices, self.waiting_room, self.access.memberships,
        )  # fmt: skip

    def payments(self, jobs: JobBuffer) -> ProviderContext:
        """What the payment processors use, for one unit of work (see `orders`)."""
        return ProviderContext(self.db, self.redis, jobs, self.settings, self.http)

    @classmethod
    def build(cls, resources: Resources) -> Services:
        settings = resources.settings
        db, redis = resources.db, resources.redis
        assert settings.auth_secret is not None  # checked by Resources.open
        keyring = load_keyring(settings)
        codec = AccessTokenCodec(
            settings.auth_secret.get_secret_value(), settings.access_token_ttl_s
        )
        access = Access.build(db, redis, settings)
        vault = PiiVault(db, keyring)
        identity = IdentityRepository(db)
        sessions = SessionService(identity, codec, settings.refresh_token_ttl_s, access.sessions)
        inventory = InventoryService(
            db,
            redis,
            commit_grace_s=settings.inventory_commit_grace_s,
            extend_warning_s=settings.inventory_extend_warning_s,
        )
        room = WaitingRoom.from_resources(resources)
        tickets = TicketService(db, keyring)
        hub = Hub(redis)

        def transferred(from_id: str, ticket: Ticket) -> None:
            ticket_transferred(redis, from_id, ticket)  # both holders' `me` channels

        return cls(
            resources=resources,
            keyring=keyring,
            token_codec=codec,
            access=access,
            vault=vault,
            sessions=sessions,
            accounts=AccountService(
                identity,
                vault,
                RateLimiter(redis),
                sessions,
                settings,
                memberships=access.memberships,
            ),
            # Identity asks the catalog who owns an event (gate-staff grants).
            organizations=OrganizationService(
                identity, vault, access.memberships, partial(owner_of, db)
            ),
            inventory=inventory,
            waiting_room=room,
            prices=PriceBook(),
            hold_orders=OrdersOfHolds(db),
            tickets=tickets,
            transfers=TransferService(tickets, vault, settings.public_base_url, transferred),
            delivery=Delivery(tickets, vault),
            checkin=CheckinService(db, redis, tickets, settings),
            status_listeners=(status_listener(db, redis, inventory, resources.queue, room),),
            hub=hub,
            live=build_live(
                resources,
                inventory,
                hub,
                room,
                access,
                read_checkins=LiveCheckinStats(db, redis, tickets),
            ),
        )

    async def close(self) -> None:
        """What the services keep open beyond the resources (the live layer's feeds and
        connection sweep)."""
        await self.live.close()
