from __future__ import annotations

import asyncio
import ssl
import stat
from pathlib import Path

import httpx
from cryptography import x509

from ticketsafe.app import create_app
from ticketsafe.infra.child_process import free_port
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.tls import ensure_local_tls
from ticketsafe.roles.http import build_servers, stop_servers


def test_generates_ca_and_server_cert_with_private_keys(tmp_path: Path) -> None:
    files = ensure_local_tls(tmp_path / "tls", ["tickets.local"])
    for key in (files.key, tmp_path / "tls" / "ca-key.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "tickets.local"} <= set(san.get_values_for_type(x509.DNSName))
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    cert.verify_directly_issued_by(ca)


def test_reused_until_names_change(tmp_path: Path) -> None:
    first = ensure_local_tls(tmp_path, ["localhost"]).cert.read_bytes()
    assert ensure_local_tls(tmp_path, ["localhost"]).cert.read_bytes() == first
    ca_before = (tmp_path / "ca.pem").read_bytes()
    renewed = ensure_local_tls(tmp_path, ["localhost", "box.lan"]).cert.read_bytes()
    assert renewed != first
    assert (tmp_path / "ca.pem").read_bytes() == ca_before  # same CA: browsers keep trusting


async def test_serves_https_with_hsts_and_redirects_http(settings: Settings) -> None:
    tls_settings = settings.model_copy(
        update={"tls_enabled": True, "https_port": free_port(), "http_port": free_port()}
    )
    servers = build_servers(tls_settings, create_app(tls_settings))
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        while not all(s.started for s in servers):
            await asyncio.sleep(0.05)
        ca = ssl.create_default_context(cafile=str(tls_settings.tls_dir / "ca.pem"))
        base = f"https://localhost:{tls_settings.https_port}"
        async with httpx.AsyncClient(verify=ca) as c:
            r = await c.get(f"{base}/readyz")
            assert r.status_code == 200
            assert r.json()["status"] == "ready"
            assert r.headers["strict-transport-security"].startswith("max-age=31536000")
            plain = await c.get(f"http://localhost:{tls_settings.http_port}/readyz?x=1")
            assert plain.status_code == 308
            assert plain.headers["location"] == f"{base}/readyz?x=1"
        async with httpx.AsyncClient() as untrusting:  # system CAs only: must refuse
            try:
                await untrusting.get(f"{base}/healthz")
                raise AssertionError("certificate should not verify without the local CA")
            except httpx.ConnectError:
                pass
    finally:
        stop_servers(servers)
        await asyncio.gather(*tasks)
