"""Pytest fixtures for the fake provider.

Enable them in a top-level ``conftest.py`` (not registered as an entry point)::

    pytest_plugins = ["helicone_lite.testing.pytest_plugin"]

* ``fake_provider``: a fresh, running :class:`FakeProvider` per test, stopped afterwards.
* ``make_client`` / ``make_aclient``: build ``helicone_lite.Client`` / ``AsyncClient`` on the
  fake provider, in the test's own home (``tmp_path / "home"``); every client made is closed
  after the test. Keyword arguments go to the client.
* ``rows(client, where="1")``: the client's request-log rows (flushed first), as dicts.
* ``drive(layer, call, replies)``: run one layer's ``handle(call)`` with a scripted driver:
  each ``Forward`` is answered with the next scripted ``Result`` (or a function of the call),
  ``Blocking`` runs inline, ``Sleep`` is recorded, not slept. Returns a :class:`Drive`.
* ``loopback_only``: fails the test if anything tries to reach a non-loopback address
  (connects, and host name lookups other than ``localhost``); use it with
  ``@pytest.mark.usefixtures("loopback_only")`` or from an autouse fixture.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._provider import FakeProvider

if TYPE_CHECKING:
    import helicone_lite
    from helicone_lite.pipeline import Call, Interceptor, Result

__all__ = [
    "KEY",
    "Drive",
    "NonLoopbackConnectionError",
    "drive",
    "fake_provider",
    "loopback_only",
    "make_aclient",
    "make_client",
    "rows",
]

#: the API key test clients use (secret-looking, so tests can check it never leaks)
KEY = "sk-test-SECRET-0123456789abcdef"


class NonLoopbackConnectionError(ConnectionRefusedError):
    """Raised (and the test failed) when a test reaches beyond the loopback interface."""


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """A running :class:`~helicone_lite.testing.FakeProvider`, fresh for each test."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def make_client(
    fake_provider: FakeProvider, tmp_path: Path
) -> Iterator[Callable[..., helicone_lite.Client]]:
    """``make_client(**kwargs)``: a ``Client`` on the fake provider, closed after the test."""
    import helicone_lite

    made: list[helicone_lite.Client] = []

    def make(**kwargs: Any) -> helicone_lite.Client:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", fake_provider.openai_base_url)
        kwargs.setdefault("home", tmp_path / "home")
        client = helicone_lite.Client(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
async def make_aclient(
    fake_provider: FakeProvider, tmp_path: Path
) -> AsyncIterator[Callable[..., helicone_lite.AsyncClient]]:
    """``make_aclient(**kwargs)``: an ``AsyncClient`` on the fake provider, closed after."""
    import helicone_lite

    made: list[helicone_lite.AsyncClient] = []

    def make(**kwargs: Any) -> helicone_lite.AsyncClient:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", fake_provider.openai_base_url)
        kwargs.setdefault("home", tmp_path / "home")
        client = helicone_lite.AsyncClient(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def rows(client: Any, where: str = "1") -> list[dict[str, Any]]:
    """The request-log rows of ``client`` matching ``where``, oldest first (flushed first)."""
    client.flush()
    found: list[dict[str, Any]] = client.store.query(
        f"SELECT * FROM requests WHERE {where} ORDER BY created_at, rowid"
    )
    return found


@dataclass
class Drive:
    """What a scripted run of one layer did: its ``result``, the calls it forwarded, the
    seconds it asked to sleep and how many ``Blocking`` effects it ran."""

    result: Result
    forwarded: list[Call] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)
    blocking: int = 0


def drive(
    layer: Interceptor,
    call: Call,
    replies: Sequence[Result | Callable[[Call], Result]] = (),
) -> Drive:
    """Run ``layer.handle(call)`` alone: each ``Forward`` gets the next of ``replies`` (a
    ``Result``, or a function of the forwarded call); a layer that forwards more often than
    scripted fails the test. Exceptions of ``Blocking`` functions are raised in the flow."""
    from helicone_lite.pipeline import Blocking, Forward, Sleep

    script = list(replies)
    flow = layer.handle(call)
    run = Drive(result=None)  # type: ignore[arg-type]  # set below
    reply: Any = None
    error: BaseException | None = None
    try:
        while True:
            effect = flow.send(reply) if error is None else flow.throw(error)
            reply, error = None, None
            if isinstance(effect, Forward):
                if not script:
                    pytest.fail(f"{type(layer).__name__} forwarded more calls than scripted")
                run.forwarded.append(effect.call)
                answer = script.pop(0)
                reply = answer if not callable(answer) else answer(effect.call)
            elif isinstance(effect, Sleep):
                run.slept.append(effect.seconds)
            elif isinstance(effect, Blocking):
                run.blocking += 1
                try:
                    reply = effect.fn()
                except Exception as exc:
                    error = exc
            else:
                pytest.fail(f"{type(layer).__name__} yielded {effect!r}, not an effect")
    except StopIteration as stop:
        run.result = stop.value
    finally:
        flow.close()
    return run


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
