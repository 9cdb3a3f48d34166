"""Pytest fixtures: the fake provider, clients on it, an injectable clock, a scripted driver.

Enable them in a top-level ``conftest.py`` (not registered as an entry point)::

    pytest_plugins = ["helicone_lite.testing.pytest_plugin"]

* ``fake_provider`` (alias ``fake``): a fresh, running :class:`FakeProvider` per test.
* ``home``: the test's own helicone_lite home, ``tmp_path / "home"``.
* ``clock``: a :class:`~helicone_lite.testing.Clock` (time moves only when the test says so).
* ``client_options``: the keyword arguments every client of the test gets (``api_key``,
  ``base_url`` of the fake, ``home``). Override it in a conftest to add what a directory
  needs (``clock=clock``, ``redis_url=...``); request ``client_options`` in the override to
  extend the plugin's.
* ``make_client`` / ``make_aclient``: build ``helicone_lite.Client`` / ``AsyncClient`` with
  ``client_options`` (keyword arguments override them); every client made is closed after
  the test. ``client`` / ``aclient``: one of each. A client whose SQLite store does not
  exist yet starts on a copy of ``migrated_store`` (every migration run once per session).
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
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from ._clock import Clock
from ._provider import FakeProvider

if TYPE_CHECKING:
    import helicone_lite
    from helicone_lite.pipeline import Call, Interceptor, Result

__all__ = [
    "KEY",
    "Drive",
    "MakeAsyncClient",
    "MakeClient",
    "NonLoopbackConnectionError",
    "aclient",
    "client",
    "client_options",
    "clock",
    "drive",
    "fake",
    "fake_provider",
    "home",
    "loopback_only",
    "make_aclient",
    "make_client",
    "migrated_store",
    "rows",
]

#: the API key test clients use (secret-looking, so tests can check it never leaks)
KEY = "sk-test-SECRET-0123456789abcdef"

MakeClient = Callable[..., "helicone_lite.Client"]
MakeAsyncClient = Callable[..., "helicone_lite.AsyncClient"]


class _Logged(Protocol):
    """A client, as :func:`rows` uses it."""

    @property
    def store(self) -> helicone_lite.Store: ...

    def flush(self, timeout: float | None = ...) -> bool: ...


class NonLoopbackConnectionError(ConnectionRefusedError):
    """Raised (and the test failed) when a test reaches beyond the loopback interface."""


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """A running :class:`~helicone_lite.testing.FakeProvider`, fresh for each test."""
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def fake(fake_provider: FakeProvider) -> FakeProvider:
    """``fake_provider``, under the short name tests use."""
    return fake_provider


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The test's own helicone_lite home (created by the first client or store)."""
    return tmp_path / "home"


@pytest.fixture
def clock() -> Clock:
    """Time that moves only when the test says so (``clock.advance(seconds)``)."""
    return Clock()


@pytest.fixture
def client_options(fake_provider: FakeProvider, home: Path) -> dict[str, Any]:
    """What every client of the test gets; override in a conftest to add more."""
    return {"api_key": KEY, "base_url": fake_provider.openai_base_url, "home": home}


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store file with every migration run and nothing in it, made once per session
    (per xdist worker): ``make_client`` copies it where a client's new store would be, which
    costs a copy instead of running every migration again (~15 ms of CPU per client)."""
    from helicone_lite.store import Store

    path = tmp_path_factory.mktemp("migrated-store") / "helicone.db"
    store = Store(path)  # migrates as it opens
    assert store.schema_version is not None, f"the template store did not migrate: {path}"
    store.close()  # the last connection: the WAL is checkpointed into the file and removed
    return path


def _seed_store(options: dict[str, Any], template: Path) -> None:
    """Put a copy of ``template`` where a client with ``options`` would create its SQLite
    store, if there is none yet (a PostgreSQL URL, or a ``store`` given, is left alone)."""
    import os
    import shutil

    from helicone_lite._files import FILE_MODE, private_dir
    from helicone_lite.store._engine import is_database_url, store_location

    if "store" in options or "home" not in options:
        return
    url = options.get("database_url") or os.environ.get("HELICONE_LITE_DATABASE_URL")
    if url and (not isinstance(url, str) or is_database_url(url)):
        return
    target = Path(store_location(url, Path(options["home"]))).expanduser()
    if target.exists() or target.with_name(target.name + "-wal").exists():
        return
    private_dir(target.parent)
    shutil.copyfile(template, target)
    os.chmod(target, FILE_MODE)


@pytest.fixture
def make_client(client_options: dict[str, Any], migrated_store: Path) -> Iterator[MakeClient]:
    """``make_client(**kwargs)``: a ``Client`` with ``client_options``, closed after the test."""
    import helicone_lite

    made: list[helicone_lite.Client] = []

    def make(**kwargs: Any) -> helicone_lite.Client:
        options = {**client_options, **kwargs}
        _seed_store(options, migrated_store)
        client = helicone_lite.Client(**options)
        made.append(client)
        return client

    yield make
    for client in reversed(made):
        client.close()


@pytest.fixture
async def make_aclient(
    client_options: dict[str, Any], migrated_store: Path
) -> AsyncIterator[MakeAsyncClient]:
    """``make_aclient(**kwargs)``: an ``AsyncClient`` with ``client_options``, closed after."""
    import helicone_lite

    made: list[helicone_lite.AsyncClient] = []

    def make(**kwargs: Any) -> helicone_lite.AsyncClient:
        options = {**client_options, **kwargs}
        _seed_store(options, migrated_store)
        client = helicone_lite.AsyncClient(**options)
        made.append(client)
        return client

    yield make
    for client in reversed(made):
        await client.close()


@pytest.fixture
def client(make_client: MakeClient) -> helicone_lite.Client:
    """A ``Client`` with ``client_options``."""
    return make_client()


@pytest.fixture
async def aclient(make_aclient: MakeAsyncClient) -> helicone_lite.AsyncClient:
    """An ``AsyncClient`` with ``client_options``."""
    return make_aclient()


def rows(client: _Logged, where: str = "1") -> list[dict[str, Any]]:
    """The request-log rows of ``client`` matching ``where``, oldest first (flushed first).

    ``where`` is a WHERE clause, or a whole ``SELECT`` statement to run instead.
    """
    client.flush()
    if where.lstrip()[:6].upper() == "SELECT":
        sql = where
    else:  # insertion order: rowid in SQLite, ctid in a never-updated PostgreSQL table
        order = "ctid" if client.store.engine == "postgresql" else "rowid"
        condition = "TRUE" if where.strip() == "1" else where  # PostgreSQL has no `WHERE 1`
        sql = f"SELECT * FROM requests WHERE {condition} ORDER BY created_at, {order}"
    found: list[dict[str, Any]] = client.store.query(sql)
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
