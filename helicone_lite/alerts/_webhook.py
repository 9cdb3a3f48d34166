"""Posting an alert to a webhook without becoming a way into the private network.

A webhook URL is configuration, but what it *resolves to* can change (DNS), and a reply can
redirect elsewhere. So, on every delivery (docs/security.md):

* the host is resolved once and every address it resolves to must be public (not loopback,
  private, link-local — e.g. the cloud metadata address 169.254.169.254 —, shared, reserved,
  multicast or unspecified; IPv4-mapped IPv6 addresses are judged as IPv4), unless the client
  was built with ``webhook_allow_private=True`` or the channel is ``Webhook(…, allow_private=True)``;
* the connection goes to that checked address (pinned: no second lookup that DNS rebinding could
  answer differently); HTTPS still verifies the certificate for the URL's host name;
* redirects are never followed (a 3xx is a failed delivery), so the channel's headers
  (``Authorization``…) never travel to another URL;
* the reply body is read up to 64 KiB and dropped.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["WebhookRefused", "is_public_address", "post_json"]

_READ_LIMIT = 64 << 10


class WebhookRefused(Exception):
    """The webhook's target is not allowed (a non-public address, a redirect, an HTTP error)."""


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a globally routable unicast address.

    >>> [is_public_address(a) for a in ("8.8.8.8", "127.0.0.1", "169.254.169.254", "::ffff:10.0.0.1")]
    [True, False, False, False]
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not ip.is_multicast


def _resolve(host: str, port: int, allow_private: bool) -> str:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise WebhookRefused(f"{host} does not resolve")
    if not allow_private:
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked:
            raise WebhookRefused(
                f"{host} resolves to a non-public address ({blocked[0]}); "
                "allow it with Client(webhook_allow_private=True)"
            )
    return addresses[0]


class _Pinned(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post_json(
    url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, allow_private: bool
) -> int:
    """POST ``body`` to ``url`` under the rules above; the status, or :class:`WebhookRefused`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    address = _resolve(host, port, allow_private)
    kind = _PinnedTLS if tls else _Pinned
    connection = kind(host, port, address, timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(_READ_LIMIT)
        status = response.status
    finally:
        connection.close()
    if 300 <= status < 400:
        raise WebhookRefused(f"the webhook answered {status}: redirects are not followed")
    if status >= 400:
        raise WebhookRefused(f"the webhook answered {status}")
    return status
