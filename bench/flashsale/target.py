"""What a benchmark run drives: a deployment the bench starts on this machine
(`server.Deployment`), or one already running, given by its URL (`Remote`).

The bench is trusted either way: it signs its buyers' and the organizer's access tokens
with the deployment's own key (`TICKETSAFE_AUTH_SECRET`) instead of signing 250,000
people up (sign-up is measured on its own, `bench/identity_auth.py`).

Against a URL the bench sees only what the API shows: no process to sample or kill
(no fault mode, no CPU or RSS per process), and the invariants are read from the
organizer's attendee export rather than from the database (`invariants.check_export`).
The deployment must let one address make the whole crowd's requests (raise its per-IP
limits, as the started deployment does: `server.Deployment._env`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.flashsale import http, invariants
from bench.flashsale.flow import ORG
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.tokens import AccessTokenCodec

TOKEN_TTL_S = 86_400  # longer than any run


@dataclass
class TokenMinter:
    """Access tokens signed with the deployment's key; one codec per process (every
    simulated buyer signs in once)."""

    secret: str
    _codec: AccessTokenCodec | None = field(default=None, repr=False)

    def token(self, user_id: str, *, organizer_of: str | None = None) -> str:
        # Organizations are read live from memberships, never from a token, and the bench
        # creates none: its organizer acts as a platform admin (what its key allows).
        roles = frozenset({Role.ADMIN}) if organizer_of else frozenset({Role.BUYER})
        if self._codec is None:
            self._codec = AccessTokenCodec(self.secret, TOKEN_TTL_S)
        return self._codec.issue(Principal(user_id, roles))


class Target(Protocol):
    @property
    def endpoint(self) -> http.Endpoint: ...

    @property
    def api_processes(self) -> int | None:
        """How many API processes answer (their metrics are scraped); None: unknown."""

    @property
    def hold_endpoint(self) -> http.Endpoint | None:
        """Where holds go when they have a pool of their own (None: to `endpoint`)."""

    @property
    def crowd_endpoint(self) -> http.Endpoint | None:
        """Where the waiting room's requests go when they have a pool of their own."""

    def pools(self) -> list[tuple[http.Endpoint, int | None]]:
        """Every endpoint API processes answer on, with how many answer there."""

    def token(self, user_id: str, *, organizer_of: str | None = None) -> str: ...

    def pids(self) -> dict[str, int]:
        """The processes whose CPU and memory the report gives, by name."""

    def check_running(self) -> None:
        """Raise if a process of the deployment has exited."""

    async def check(
        self, event_id: str, capacity: Mapping[str, int], told_paid: Mapping[str, int]
    ) -> dict[str, Any]:
        """The invariants after the sale (`invariants.Ledger.figures`)."""


@dataclass
class Remote:
    """A deployment given by its URL (see module docstring)."""

    endpoint: http.Endpoint
    minter: TokenMinter
    api_processes: int | None = None
    hold_endpoint: http.Endpoint | None = None  # its balancer routes holds as it does
    crowd_endpoint: http.Endpoint | None = None  # and the waiting room's requests
    export_timeout_s: float = 900.0  # the attendee export of a full sale: 100,000 rows

    @classmethod
    def from_url(
        cls, url: str, environ: Mapping[str, str], *, ca_file: Path | None = None
    ) -> Remote:
        """ValueError, saying what is missing, for a URL that is not a deployment's
        (`http.Endpoint.from_url`) or without `TICKETSAFE_AUTH_SECRET` in `environ`."""
        endpoint = http.Endpoint.from_url(url, ca_file=ca_file)
        secret = environ.get("TICKETSAFE_AUTH_SECRET", "")
        if not secret:
            raise ValueError(
                "a run against a URL signs its buyers' tokens with the deployment's key: "
                "set TICKETSAFE_AUTH_SECRET to it"
            )
        return cls(endpoint, TokenMinter(secret))

    def token(self, user_id: str, *, organizer_of: str | None = None) -> str:
        return self.minter.token(user_id, organizer_of=organizer_of)

    def pools(self) -> list[tuple[http.Endpoint, int | None]]:
        return [(self.endpoint, self.api_processes)]

    def pids(self) -> dict[str, int]:
        return {}  # its processes are not ours to see

    def check_running(self) -> None:
        return None  # the sale's own requests are what tells

    async def check(
        self, event_id: str, capacity: Mapping[str, int], told_paid: Mapping[str, int]
    ) -> dict[str, Any]:
        token = self.token("usr_organizer", organizer_of=ORG)
        async with self.endpoint.client(max_connections=1, timeout=self.export_timeout_s) as client:
            return await invariants.check_export(
                client, token, org_id=ORG, event_id=event_id, capacity=capacity,
                told_paid=told_paid,
            )  # fmt: skip
