"""Serve the built front-end (`web/dist`) with a single-page-app fallback to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class SpaStaticFiles(StaticFiles):
    """Unknown paths that look like app routes (no file extension) get index.html."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            return await super().get_response("index.html", scope)


def mount_frontend(app: FastAPI, directory: Path) -> None:
    if (directory / "index.html").is_file():
        app.mount("/", SpaStaticFiles(directory=directory, html=True), name="frontend")
