"""Running the ASGI app under uvicorn: HTTPS on one port, a redirect to it on another.

Several uvicorn servers share one event loop here, so none of them installs signal
handlers; the role that owns the loop does, and stops them all together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Generator, Iterable
from typing import Literal

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketsafe.infra.http_writes import CoalescingHttpToolsProtocol
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.tls import TlsFiles, ensure_local_tls
from ticketsafe.infra.ws_protocol import LeanWebSocketsProtocol
from ticketsafe.roles.drain import StreamDrain

log = logging.getLogger("ticketsafe.http")


class _Server(uvicorn.Server):
    drain: StreamDrain | None = None  # the main app's, ended first when stopping

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the role installs loop-level handlers instead


def https_redirect_app(https_port: int) -> ASGIApp:
    """Every plain-HTTP request answers 308 to the same path on HTTPS."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope.get("headers", []))
        host = _without_port(headers.get(b"host", b"localhost").decode("latin-1"))
        path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        target = f"https://{host}:{https_port}{path}"
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [(b"location", target.encode("latin-1")), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    return app


def _without_port(host: str) -> str:
    if host.startswith("["):  # IPv6 literal, e.g. [::1]:8080
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def tls_files(settings: Settings) -> TlsFiles | None:
    if not settings.tls_enabled:
        return None
    if settings.tls_cert_file and settings.tls_key_file:
        return TlsFiles(settings.tls_cert_file, settings.tls_cert_file, settings.tls_key_file)
    return ensure_local_tls(settings.tls_dir, settings.public_hostnames)


def build_servers(settings: Settings, app: ASGIApp) -> list[uvicorn.Server]:
    """The app's server (first) and, with TLS, the redirect's. On stop, the app's event
    streams end with a reconnect hint and requests in flight get `shutdown_grace_s`."""
    drain = StreamDrain(app)
    grace = settings.shutdown_grace_s
    tls = tls_files(settings)
    backlog = settings.http_backlog
    if tls is None:  # behind a TLS-terminating proxy: trust its X-Forwarded-* headers
        main = _config(
            drain, settings.host, settings.http_port, backlog, proxy_headers=True, grace=grace
        )
        servers = [_Server(main)]
    else:
        main = _config(drain, settings.host, settings.https_port, backlog, tls=tls, grace=grace)
        redirect = _config(
            https_redirect_app(settings.https_port), settings.host, settings.http_port, backlog,
            lifespan="off", grace=grace,
        )  # fmt: skip
        servers = [_Server(main), _Server(redirect)]
    servers[0].drain = drain
    return list(servers)


def _config(
    app: ASGIApp,
    host: str,
    port: int,
    backlog: int,
    *,
    tls: TlsFiles | None = None,
    proxy_headers: bool = False,
    lifespan: Literal["on", "off"] = "on",
    grace: int | None = None,
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        backlog=backlog,  # bounded: see Settings.http_backlog
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
        proxy_headers=proxy_headers,
        lifespan=lifespan,
        log_config=None,
        access_log=False,
        http=CoalescingHttpToolsProtocol,  # a response's head and body in one send
        ws=LeanWebSocketsProtocol,  # uvicorn's sans-I/O one, minus the kept handshake
        # Live WebSockets (realtime/): no per-message deflate (a zlib context per
        # connection, and every broadcast compressed once per connection), clients send
        # nothing bigger than a close, and heartbeats are the live layer's own.
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        ws_ping_interval=None,
        timeout_graceful_shutdown=grace,  # then requests still running are cancelled
    )


async def serve_all(servers: Iterable[uvicorn.Server], *, reuse_port: bool) -> None:
    """Run the servers; with `reuse_port`, each binds its own SO_REUSEPORT socket so
    several API processes can listen on the same port."""
    tasks = []
    for server in servers:
        sockets = [_reuse_port_socket(server.config)] if reuse_port else None
        tasks.append(asyncio.create_task(server.serve(sockets=sockets)))
    await asyncio.gather(*tasks)


def _reuse_port_socket(config: uvicorn.Config) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((config.host, config.port))
    sock.listen(config.backlog)
    sock.set_inheritable(True)
    return sock


def install_stop_handlers(on_stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_stop)


def stop_servers(servers: Iterable[uvicorn.Server]) -> None:
    """Drain: stop accepting, end event streams (reconnect hint), let requests finish."""
    for server in servers:
        if isinstance(server, _Server) and server.drain is not None:
            server.drain.start()
        server.should_exit = True
