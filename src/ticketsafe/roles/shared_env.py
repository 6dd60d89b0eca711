"""What every process of a one-machine deployment shares: the stores, keys and mail.

`serve` (its extra api processes) and `cluster` (all of its) start `ticketsafe api` and
`ticketsafe worker` children that must reach the same stores, sign and check tokens with
the same secret and seal personal data under the same key ring. The parent creates every
key before any child starts, so two children never race to create different ones.
"""

from __future__ import annotations

import os

from ticketsafe.infra.crypto.keyring import create_keyring_file
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.keyfiles import load_or_create_secret
from ticketsafe.infra.settings import Settings
from ticketsafe.mail.catcher import MailCatcher


def shared_env(
    settings: Settings, stores: EmbeddedStores, mail: MailCatcher | None
) -> dict[str, str]:
    """The operator's environment plus the stores' URLs, the secrets (made now if the
    data directory has none yet) and the mail server (the catcher, when no SMTP URL)."""
    s = settings
    assert stores.mongo_url is not None
    assert stores.redis_url is not None
    if s.pii_keys is None:
        create_keyring_file(s.pii_keyring_file or s.keys_dir / "pii-keyring.json")
    auth = s.auth_secret.get_secret_value() if s.auth_secret else None
    psp = s.psp_webhook_secret.get_secret_value() if s.psp_webhook_secret else None
    smtp = mail.url if mail else s.smtp_url.get_secret_value() if s.smtp_url else ""
    return {
        **os.environ,
        "TICKETSAFE_MONGO_URL": stores.mongo_url,
        "TICKETSAFE_REDIS_URL": stores.redis_url,
        "TICKETSAFE_AUTH_SECRET": auth or load_or_create_secret(s.keys_dir / "auth.key"),
        "TICKETSAFE_PSP_WEBHOOK_SECRET": psp
        or load_or_create_secret(s.keys_dir / "psp-webhook.key"),
        "TICKETSAFE_SMTP_URL": smtp,
    }
