"""The API's interactive docs (`/docs`, Swagger UI; `/redoc`, Redoc) served from here.

FastAPI's own pages load their scripts from a CDN and start Swagger UI with an inline
script: our Content-Security-Policy (`script-src 'self'`) blocks both, and a laptop
offline has no CDN, so they rendered blank. Here every asset comes from this origin (the
`fastapi-offline` wheel ships Swagger UI's and Redoc's bundles), Swagger UI starts from
a same-origin script that reads its settings from the page, and each page's policy is
the API's own plus only what that page needs: Redoc builds its search worker from a
`blob:` URL (`worker-src 'self' blob:`); Swagger UI needs nothing more.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from ticketsafe.infra.security_headers import CONTENT_SECURITY_POLICY

ASSETS_URL = "/docs-assets"
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

SWAGGER_CSP = CONTENT_SECURITY_POLICY
REDOC_CSP = f"{CONTENT_SECURITY_POLICY}; worker-src 'self' blob:"

# Swagger UI's start, as FastAPI's page does it inline; no validator badge (it would call
# a third party with our schema's URL).
_SWAGGER_INIT = b"""\
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

_SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - Swagger UI</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>
</body>
</html>
"""

_REDOC_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Add `/docs`, `/redoc` and their assets; the app is made with `docs_url=None,
    redoc_url=None`. Call before mounting anything at `/` (the front-end)."""
    assert app.openapi_url is not None
    fields = {"title": app.title, "assets": ASSETS_URL, "openapi": app.openapi_url}
    swagger = _SWAGGER_PAGE.format(**fields)
    redoc = _REDOC_PAGE.format(**fields)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger, headers={"content-security-policy": SWAGGER_CSP})

    @app.get("/redoc", include_in_schema=False)
    async def redoc_ui() -> HTMLResponse:
        return HTMLResponse(redoc, headers={"content-security-policy": REDOC_CSP})

    @app.get(f"{ASSETS_URL}/swagger-init.js", include_in_schema=False)
    async def swagger_init() -> Response:
        return Response(_SWAGGER_INIT, media_type="text/javascript")

    app.mount(ASSETS_URL, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")
