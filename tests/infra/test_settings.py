from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from ticketsafe.infra.ratelimit import Rate
from ticketsafe.infra.settings import RateLimits, Settings


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "TICKETSAFE_MONGO_URL", "mongodb://u:hunter2@db.example:27017/?replicaSet=rs0"
    )
    monkeypatch.setenv("TICKETSAFE_HTTPS_PORT", "9443")
    monkeypatch.setenv("TICKETSAFE_DATA_DIR", "/var/lib/ts")
    monkeypatch.setenv("TICKETSAFE_TLS_ENABLED", "false")
    s = Settings()
    assert s.mongo_url is not None
    assert s.mongo_url.get_secret_value().startswith("mongodb://u:hunter2@")
    assert s.https_port == 9443
    assert s.data_dir == Path("/var/lib/ts")
    assert s.tls_enabled is False


def test_secrets_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETSAFE_MONGO_URL", "mongodb://u:hunter2@db:27017")
    monkeypatch.setenv("TICKETSAFE_REDIS_URL", "redis://:s3cret@cache:6379/0")
    s = Settings()
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "hunter2" not in text
        assert "s3cret" not in text


def test_embedded_when_a_url_is_missing() -> None:
    assert Settings().embedded is True
    both = Settings(mongo_url=SecretStr("mongodb://h"), redis_url=SecretStr("redis://h"))
    assert both.embedded is False


@pytest.mark.parametrize(
    ("key", "value"),
    [("TICKETSAFE_HTTPS_PORT", "70000"), ("TICKETSAFE_MONGO_DATABASE", "bad name!")],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        Settings()


def test_rate_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETSAFE_RATE_LIMITS__SIGNUP_PER_IP", "5000/3600/800")
    monkeypatch.setenv("TICKETSAFE_RATE_LIMITS__LOGIN_PER_ACCOUNT", '{"count": 9, "period_s": 30}')
    limits = Settings().rate_limits
    assert limits.signup_per_ip == Rate(count=5000, period_s=3600, burst=800)
    assert limits.login_per_account == Rate(count=9, period_s=30, burst=1)
    assert limits.login_per_ip == RateLimits().login_per_ip  # the others keep defaults


def test_a_malformed_rate_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETSAFE_RATE_LIMITS__LOGIN_PER_IP", "lots")
    with pytest.raises(ValidationError, match="COUNT/PERIOD_S"):
        Settings()
