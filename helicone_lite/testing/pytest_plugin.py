"""Pytest fixtures for the fake provider.

Enable them in a top-level ``conftest.py`` (not registered as an entry point)::

    pytest_plugins = ["helicone_lite.testing.pytest_plugin"]

* ``fake_provider``: a fresh, running :class:`FakeProvider` per test, stopped afterwards.
* ``loopback_only``: fails the test if anything tries to reach a non-loopback address
  (connects, and host name lookups other than ``localhost``); use it with
  ``@pytest.mark.usefixtures("loopback_only")`` or from an autouse fixture.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from ._provider import FakeProvider

__all__ = ["NonLoopbackConnectionError", "fake_provider", "loopback_only"]


class NonLoopbackConnectionError(ConnectionRefusedError):
    """Raised (and the test failed) when a test reaches beyond the loopback interface."""


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """A running :class:`~helicone_lite.testing.FakeProvider`, fresh for each test."""
    with FakeProvider() as fake:
        yield fake


def _is_loopback_host(host: Any) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_loopback_address(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    if isinstance(address, tuple) and address:
        return _is_loopback_host(address[0])
    return False


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Block and report any connection or name lookup beyond loopback."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> NonLoopbackConnectionError:
        attempts.append(what)
        return NonLoopbackConnectionError(f"test tried to reach {what}; only loopback allowed")

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback_address(self.family, address):
            raise refuse(repr(address))
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback_address(self.family, address):
            raise refuse(repr(address))
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback_host(host):
            raise refuse(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail(f"test reached beyond loopback: {', '.join(attempts)}", pytrace=False)
