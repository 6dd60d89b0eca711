"""`/docs` and `/redoc` load every script from this origin, and their CSP allows it."""

from __future__ import annotations

import re

import httpx
import pytest

from ticketsafe.infra.security_headers import CONTENT_SECURITY_POLICY

_TAGS = re.compile(r"<(script|link)\b([^>]*)>", re.IGNORECASE)
_URL = re.compile(r"""\b(?:src|href)="([^"]*)\"""")


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = (d.split() for d in response.headers["content-security-policy"].split(";"))
    return {d[0]: d[1:] for d in directives if d}


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-init.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
async def test_docs_pages_load_their_assets_from_this_origin(
    client: httpx.AsyncClient, page: str, assets: set[str]
) -> None:
    html = await client.get(page)
    assert html.status_code == 200
    tags = _TAGS.findall(html.text)
    scripts = [attrs for tag, attrs in tags if tag.lower() == "script"]
    assert scripts, "the page starts its viewer with scripts"
    assert all("src=" in attrs for attrs in scripts), "an inline script: the CSP blocks it"
    urls = [m for _, attrs in tags for m in _URL.findall(attrs)]
    assert {u.rsplit("/", 1)[-1] for u in urls} == assets
    policy = _policy(html)
    assert policy["script-src"] == ["'self'"]
    for url in urls:
        assert url.startswith("/"), url  # a path: same origin
        assert not url.startswith("//"), url  # not a scheme-relative other host
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"]


async def test_only_redoc_may_start_a_blob_worker(client: httpx.AsyncClient) -> None:
    redoc = _policy(await client.get("/redoc"))
    assert redoc["worker-src"] == ["'self'", "blob:"]  # its search index runs in one
    for path in ("/docs", "/openapi.json", "/healthz"):
        response = await client.get(path)
        assert "blob:" not in response.headers["content-security-policy"], path
    api = await client.get("/healthz")
    assert api.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_swagger_ui_reads_this_apps_schema(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert 'data-openapi-url="/openapi.json"' in page
    init = (await client.get("/docs-assets/swagger-init.js")).text
    assert "root.dataset.openapiUrl" in init
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "TicketSafe"
