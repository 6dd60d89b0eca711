"""The one typed settings object. Every knob is read here and nowhere else.

Values come from `TICKETSAFE_*` environment variables (or a `.env` file). Secrets are
`SecretStr`, so printing or logging the settings never reveals them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ticketsafe.infra.ratelimit import Rate

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

# A rate limit as an environment value: `COUNT/PERIOD_S[/BURST]` (or the JSON object).
RateSetting = Annotated[Rate, NoDecode]


def _rate(count: int, period_s: float, burst: int) -> Rate:
    return Rate(count=count, period_s=period_s, burst=burst)


class RateLimits(BaseModel):
    """Every rate limit: `TICKETSAFE_RATE_LIMITS__<NAME>=COUNT/PERIOD_S/BURST`.

    A limit per client address stops one machine; the one per account (or e-mail, by its
    blind index) stops guessing at one person. At a stadium on-sale thousands of real
    buyers share one address (carrier NAT, a campus, the venue's Wi-Fi), so the
    per-address defaults are sized for such a crowd and the per-account ones do the
    fine-grained work."""

    model_config = ConfigDict(frozen=True)

    login_per_ip: RateSetting = Field(
        default=_rate(1_200, 60, 600), description="Sign-in attempts from one address."
    )
    login_per_account: RateSetting = Field(
        default=_rate(5, 60, 5), description="Sign-in attempts at one e-mail."
    )
    signup_per_ip: RateSetting = Field(
        default=_rate(1_200, 3_600, 300), description="Sign-ups from one address."
    )
    signup_per_email: RateSetting = Field(
        default=_rate(3, 3_600, 3), description="Sign-ups with one e-mail."
    )
    password_reset_per_ip: RateSetting = Field(
        default=_rate(600, 3_600, 100), description="Password-reset requests from one address."
    )
    password_reset_per_email: RateSetting = Field(
        default=_rate(3, 3_600, 3), description="Password-reset requests for one e-mail."
    )
    challenge_per_ip: RateSetting = Field(
        default=_rate(6_000, 60, 1_500),
        description="Waiting-room proof-of-work challenges to one address (a join needs one).",
    )
    challenge_per_account: RateSetting = Field(
        default=_rate(12, 60, 4), description="Waiting-room challenges to one account."
    )
    card_tokenizations_per_ip: RateSetting = Field(
        default=_rate(30, 60, 10), description="Sandbox PSP card tokenisations from one address."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TICKETSAFE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        env_nested_delimiter="__",  # TICKETSAFE_RATE_LIMITS__LOGIN_PER_IP=...
    )

    # Stores. Unset URL = the embedded default (`serve` starts a server under data_dir).
    mongo_url: SecretStr | None = Field(
        default=None, description="MongoDB URL; a replica set in production."
    )
    mongo_database: str = Field(default="ticketsafe", min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    redis_url: SecretStr | None = Field(default=None, description="Redis/Valkey URL.")
    redis_cluster: bool = Field(
        default=False,
        description="The Redis URL names one node of a Redis Cluster (database 0 only): "
        "the client finds the others and routes each key to its slot's node.",
    )
    data_dir: Path = Field(
        default=Path(".ticketsafe"),
        description="Embedded stores, generated certificates and keys live here.",
    )

    # Auth: HMAC key for access tokens; shared by every API instance. Unset = `serve`
    # generates one under data_dir/keys (set it explicitly when running `api` instances).
    auth_secret: SecretStr | None = Field(default=None, description="Access-token signing key.")
    access_token_ttl_s: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=300)
    password_reset_ttl_s: int = Field(default=3_600, ge=60, le=86_400)
    # How long Redis may answer "which organizations is this user in" before asking
    # MongoDB again; every membership change invalidates it at once anyway.
    membership_cache_ttl_s: int = Field(default=60, ge=1, le=3_600)

    # Personal data at rest (see ticketsafe.infra.crypto.keyring). Unset = a key file.
    pii_keys: SecretStr | None = Field(
        default=None, description="Master key ring `id:base64url,...`; the last is current."
    )
    pii_current_key_id: str | None = Field(
        default=None, description="Which key of TICKETSAFE_PII_KEYS wraps new data keys."
    )
    pii_blind_index_key: SecretStr | None = Field(
        default=None, description="HMAC key (base64url) for e-mail lookups; never rotated."
    )
    pii_keyring_file: Path | None = Field(
        default=None, description="Key ring JSON file; default data_dir/keys/pii-keyring.json."
    )
    pii_erasure_bound_s: int = Field(
        default=86_400, ge=3_300, le=90 * 86_400,
        description="An erasure reaches every copy (WAL, oplog, backup) within this: each "
        "master key epoch is retired and destroyed on a schedule (key file source).",
    )  # fmt: skip

    # Mail: unset SMTP URL = `serve` starts a local catcher writing to data_dir/mail.
    smtp_url: SecretStr | None = Field(
        default=None, description="smtp://[user:pass@]host:port (smtps:// for implicit TLS)."
    )
    mail_from: str = Field(default="TicketSafe <no-reply@localhost>")
    public_base_url: str = Field(
        default="https://localhost:8443", description="Base of links sent by e-mail."
    )

    # Payments. The sandbox PSP (test mode: no real money) is on unless turned off.
    payments_sandbox: bool = Field(default=True, description="Enable the test-mode PSP.")
    psp_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC key of PSP webhooks; `serve` generates one."
    )
    public_url: str = Field(
        default="https://localhost:8443", description="Where PSPs deliver webhooks to us."
    )
    sandbox_psp_url: str | None = Field(
        default=None,
        description="Base URL of the sandbox PSP service (`python -m ticketsafe.sandbox_psp`); "
        "`serve`, `cluster` and the bench start one on a loopback port.",
    )
    sandbox_psp_notify_url: str | None = Field(
        default=None,
        description="Where the sandbox PSP delivers its webhooks (default: `public_url` + "
        "`/payments/webhooks/sandbox-psp`); `serve` gives its plain loopback listener.",
    )
    payments_reconcile_interval_s: float = Field(
        default=300.0, ge=1.0,
        description="How often the worker refunds money captured for orders without a live sale.",
    )  # fmt: skip
    pix_key: str = "pix@ticketsafe.example"
    pix_merchant_name: str = "TicketSafe"
    pix_merchant_city: str = "Sao Paulo"
    bank_transfer_details: str = Field(
        default="Banco 001 · Agência 0001 · Conta 12345-6 · TicketSafe Ltda",
        description="Shown to buyers who pay by bank transfer.",
    )

    # Outbound webhooks to organizers. Private/loopback targets are refused (SSRF) unless
    # allowed here (tests, on-premise integrations).
    webhooks_allow_private_targets: bool = False

    # Every rate limit, per address and per account (see `RateLimits`).
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    # HTTP(S)
    host: str = "127.0.0.1"
    https_port: int = Field(default=8443, ge=0, le=65535)
    http_port: int = Field(
        default=8080, ge=0, le=65535, description="Plain HTTP: redirects to HTTPS."
    )
    http_reuse_port: bool = Field(
        default=False,
        description="SO_REUSEPORT: several API processes on one host share the ports and "
        "the kernel spreads connections between them.",
    )
    http_crowd_concurrency: int = Field(
        default=16,
        ge=0,
        description="Waiting-room requests (challenge, join, status) one API process "
        "serves at once; more wait their turn so holds and checkouts go first under "
        "load. 0: no limit.",
    )
    http_backlog: int = Field(
        default=1_024,
        ge=16,
        description="Connections the kernel holds for one API process before it accepts "
        "them; past it new ones are refused and the client's TCP stack retries later, "
        "instead of waiting unanswered behind a crowd (the kernel caps it at somaxconn).",
    )
    http_crowd_max_waiting: int = Field(
        default=1_000,
        ge=1,
        description="Waiting-room requests one API process lets wait for their turn; the "
        "next is answered 503 with a random Retry-After (1-5 s) at once.",
    )
    http_crowd_max_wait_s: float = Field(
        default=5.0,
        gt=0,
        description="A waiting-room request that waited longer than this for its turn is "
        "answered 503 with Retry-After instead of being served after its browser gave up.",
    )
    shutdown_grace_s: int = Field(
        default=20,
        ge=0,
        description="On SIGTERM an api process stops accepting, ends its event streams "
        "with a reconnect hint and gives requests in flight this long to finish.",
    )
    tls_enabled: bool = Field(
        default=True, description="Turn off only behind a TLS-terminating proxy."
    )
    tls_cert_file: Path | None = Field(default=None, description="Own certificate (PEM).")
    tls_key_file: Path | None = Field(default=None, description="Own private key (PEM).")
    public_hostnames: list[str] = Field(default_factory=lambda: ["localhost"])
    hsts_max_age: int = Field(default=31_536_000, ge=0)
    frontend_dir: Path = Field(
        default=Path("web/dist"), description="Built front-end served at / when present."
    )
    demo_data: bool | None = Field(
        default=None,
        description="Seed a demo organizer, venue and events on first start. Unset: only "
        "when `serve` runs its embedded MongoDB (never against an external database).",
    )

    # Backups (ops/backup; docs/backups.md)
    backup_target: str = Field(
        default="",
        description="Where backups go: s3://bucket/prefix/ or a directory (default: "
        "data_dir/backups).",
    )
    backup_key: SecretStr | None = Field(
        default=None,
        description="Backup master key `id:base64url` (32 bytes); default: a key file "
        "under keys_dir. Kept apart from the personal-data key ring.",
    )
    backup_s3_endpoint_url: str | None = None
    backup_s3_region: str = "us-east-1"
    backup_s3_access_key: SecretStr | None = None
    backup_s3_secret_key: SecretStr | None = None
    backup_s3_ca_file: Path | None = None
    backup_storage_class: Literal["STANDARD", "STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"] = "STANDARD"
    backup_object_lock_days: int | None = Field(default=None, ge=1, le=36_500)
    backup_interval_s: int | None = Field(
        default=None, ge=60, description="Scheduled backups by the worker; unset: none."
    )
    backup_keep_hourly: int = Field(default=24, ge=0, le=24 * 90)
    backup_keep_daily: int = Field(default=30, ge=0, le=3_650)
    backup_chunk_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, le=256 * 1024 * 1024)

    # Process roles
    api_processes: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="API processes `serve` runs, sharing its ports (SO_REUSEPORT); "
        "unset: one per core (os.cpu_count()).",
    )
    # Jobs wait on the network (our own webhooks, SMTP, MongoDB), not the CPU: at 8 the
    # worker fell minutes behind a flash sale's two or three jobs per order.
    worker_concurrency: int = Field(default=32, ge=1, le=256)
    job_visibility_timeout_ms: int = Field(
        default=60_000, ge=1_000, description="A job unacked this long is re-delivered."
    )
    job_max_deliveries: int = Field(default=5, ge=1)
    worker_health_port: int | None = Field(
        default=None,
        ge=0,
        le=65_535,
        description="`ticketsafe worker` answers /healthz, /readyz and /metrics on this port "
        "(on TICKETSAFE_HOST); unset: no HTTP listener.",
    )

    # Inventory
    inventory_commit_grace_s: float = Field(
        default=30.0, ge=1.0, description="A commit older than this is reconciled by the sweep."
    )
    inventory_extend_warning_s: float = Field(
        default=120.0, ge=20.0, description="A hold may be extended in its last N seconds."
    )

    # Check-in (gates)
    checkin_window_steps: int = Field(
        default=2, ge=0, le=8,
        description="Live-code steps (15 s) before the current one a gate still accepts.",
    )  # fmt: skip
    checkin_device_scans_per_s: float = Field(
        default=5.0, gt=0, description="Scans per second one gate device may send."
    )
    checkin_device_burst: int = Field(
        default=10, ge=1, description="... at most this many at once."
    )

    log_level: LogLevel = "INFO"
    log_json: bool = True
    access_log_sample_rate: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Fraction of requests the access log keeps (server errors always); "
        "0.01 under a flash crowd keeps one line in a hundred.",
    )
    instance_name: str = Field(default="local", description="Shown in logs and metrics.")

    # Metrics (docs/observability.md)
    metrics_enabled: bool = Field(
        default=True,
        description="HTTP, MongoDB and Redis latency instruments; false measures their cost.",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="A loopback port of this process's own for its /metrics (a worker, or "
        "one of several API processes sharing a port); unset: none.",
    )  # fmt: skip
    metrics_event_labels: int = Field(
        default=20, ge=0, le=1000,
        description="Events one process labels metrics with; later ones count as 'other'.",
    )  # fmt: skip
    metrics_sample_interval_s: float = Field(
        default=15.0, gt=0,
        description="How often a worker samples the job backlog and the oversell detector.",
    )  # fmt: skip

    # Tracing (docs/observability.md): off unless an OTLP/HTTP collector is named.
    tracing_otlp_url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="OTLP/HTTP traces endpoint (`http://host:4318/v1/traces`): a span per "
        "request and per job, `service.instance.id` = the instance name; unset: off.",
    )  # fmt: skip

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def embedded(self) -> bool:
        """True when at least one store must be started by `serve` itself."""
        return self.mongo_url is None or self.redis_url is None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
