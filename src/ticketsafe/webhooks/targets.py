"""Where webhooks may go: public addresses only, unless private targets are allowed.

Checked when a subscription is created (literal addresses and local names) and again at
delivery time on the resolved addresses, so a name that later resolves to an internal
address (DNS rebinding) is still refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from ticketsafe.infra.errors import BusinessRuleViolation

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class PrivateTarget(BusinessRuleViolation):
    code = "webhook_target_private"
    title = "Webhook target is not a public address"


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BusinessRuleViolation("webhook URL must be http(s)", code="webhook_url_invalid")
    if allow_private:
        return
    if parts.scheme != "https":
        raise BusinessRuleViolation("webhook URL must use https", code="webhook_url_invalid")
    host = parts.hostname.lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise PrivateTarget(f"{host} is a local name")
    try:
        if _is_private(host):
            raise PrivateTarget(f"{host} is not a public address")
    except ValueError:
        pass  # a name: checked on its resolved addresses at delivery time


async def check_resolved(url: str, *, allow_private: bool) -> None:
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    port = urlsplit(url).port or 443
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        if _is_private(str(info[4][0])):
            raise PrivateTarget(f"{host} resolves to a non-public address")
