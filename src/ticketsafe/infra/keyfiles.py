"""Secrets generated once under the data dir (0600) for the embedded default."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def load_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the url-safe base64 secret stored at `path`, creating it on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    value = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value
