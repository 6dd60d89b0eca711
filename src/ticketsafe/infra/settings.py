"""The one typed settings object. Every knob is read here and nowhere else.

Values come from `TICKETSAFE_*` environment variables (or a `.env` file). Secrets are
`SecretStr`, so printing or logging the settings never reveals them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TICKETSAFE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # Stores. Unset URL = the embedded default (`serve` starts a server under data_dir).
    mongo_url: SecretStr | None = Field(
        default=None, description="MongoDB URL; a replica set in production."
    )
    mongo_database: str = Field(default="ticketsafe", min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    redis_url: SecretStr | None = Field(default=None, description="Redis/Valkey URL.")
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
    psp_sandbox_tokenizations_per_ip_per_minute: int = Field(default=30, ge=1)
    psp_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC key of PSP webhooks; `serve` generates one."
    )
    public_url: str = Field(
        default="https://localhost:8443", description="Where PSPs deliver webhooks to us."
    )
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

    # Waiting room: proof-of-work challenges per client IP (many buyers share carrier NAT
    # addresses; raise it where that is common, or for a load test from one machine).
    waitingroom_challenges_per_ip_per_minute: int = Field(default=120, ge=1)

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

    # Process roles
    api_workers: int = Field(default=1, ge=1)
    # Jobs wait on the network (our own webhooks, SMTP, MongoDB), not the CPU: at 8 the
    # worker fell minutes behind a flash sale's two or three jobs per order.
    worker_concurrency: int = Field(default=32, ge=1, le=256)
    job_visibility_timeout_ms: int = Field(
        default=60_000, ge=1_000, description="A job unacked this long is re-delivered."
    )
    job_max_deliveries: int = Field(default=5, ge=1)

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
    instance_name: str = Field(default="local", description="Shown in logs and metrics.")

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
