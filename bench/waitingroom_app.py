"""uvicorn factory for the waiting-room benchmark: the real app from TICKETSAFE_* env."""

from __future__ import annotations

from fastapi import FastAPI

from ticketsafe.app import create_app
from ticketsafe.infra.settings import Settings


def app() -> FastAPI:
    return create_app(Settings())
