"""A real SMTP server (aiosmtpd) on a loopback port that files every message it receives
as an `.eml` under a folder: the embedded default of `serve` and the tests' mail server.
It runs in its own thread, so it works beside any event loop."""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from ticketsafe.infra.child_process import free_port

_LOOPBACK = "127.0.0.1"


class _FolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content: Any = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else str(content).encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        tmp.rename(self.folder / name)  # readers never see half a message
        return "250 Message accepted for delivery"


class MailCatcher:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{_LOOPBACK}:{self.port}"

    def start(self) -> None:
        # aiosmtpd logs every command and line of DATA (addresses, bodies) at INFO/DEBUG.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # messages hold personal data
        self._controller = Controller(
            _FolderHandler(self.folder), hostname=_LOOPBACK, port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))
