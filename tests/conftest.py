"""What every test gets: no network but loopback, a clean environment with its own home, no
thread left after the suite; the real servers (redis-server, PostgreSQL), one per pytest-xdist
worker. The fixtures tests share (``fake``, ``home``, ``clock``, ``client_options``,
``make_client``, ``client``, ``aclient``) live in the package's pytest plugin."""

from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["helicone_lite.testing.pytest_plugin"]


@pytest.fixture(autouse=True)
def _loopback_only(loopback_only: list[str]) -> None:
    """Every test: no connection and no name lookup beyond loopback (the package's guard)."""


def _threads_left() -> list[str]:
    gc.collect()
    left = [t for t in threading.enumerate() if t.name.startswith("helicone-lite")]
    for thread in left:
        thread.join(timeout=10)  # a thread that was told to stop finishes its last item
    return sorted(t.name for t in left if t.is_alive())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the whole suite (each xdist worker's last test), no helicone_lite thread is left
    running: clients closed or collected stop what they started. Checked once the last test is
    torn down completely, not in a session fixture's teardown, which runs inside it while
    pytest still holds the test's log records (a record's traceback keeps an unclosed client
    reachable, so an unclosed client in whichever test ran last failed the check)."""
    yield
    if nextitem is not None:
        return
    alive = _threads_left()
    if alive:
        report = pytest.TestReport(
            item.nodeid,
            item.location,
            keywords={},
            outcome="failed",
            longrepr=f"helicone_lite threads still running after the suite: {alive}",
            when="teardown",
        )
        item.ihook.pytest_runtest_logreport(report=report)


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context_per_setting() -> Iterator[None]:
    """Every SDK client (openai, anthropic, google-genai) builds a TLS context when it is made,
    reading the whole CA bundle (~40 ms of CPU each, several per test): here, where every
    connection is plain HTTP to loopback, a worker's clients share one context per setting."""
    import functools
    import ssl

    import httpcore2

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ssl, "create_default_context", functools.cache(ssl.create_default_context))
        patch.setattr(
            httpcore2, "default_ssl_context", functools.cache(httpcore2.default_ssl_context)
        )
        yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real keys or endpoints leak in; every test gets its own HELICONE_LITE_HOME.

    ``HELICONE_LITE_REQUIRE_*`` stay: they are the suite's own switches, read when a server
    fixture first starts (inside a test, after this ran), and without them a missing
    redis-server or Chromium would skip instead of failing."""
    for name in list(os.environ):
        if name.startswith("HELICONE_LITE_REQUIRE_"):
            continue
        if name.endswith(("_API_KEY", "_BASE_URL")) or name.startswith("HELICONE_LITE_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELICONE_LITE_HOME", str(tmp_path / "home"))


#: one fresh interpreter for the import probes: after each step, the names in sys.modules
_FRESH_IMPORT = """
import json, sys
seen = {}
import openai
seen["openai"] = sorted(sys.modules)
import helicone_lite
seen["helicone_lite"] = sorted(sys.modules)
from helicone_lite import Options, Settings, Store, Call, Interceptor
seen["public names"] = sorted(sys.modules)
helicone_lite.Client(api_key="sk-x", base_url="http://127.0.0.1:9/v1", home=sys.argv[1]).close()
seen["client"] = sorted(sys.modules)
import helicone_lite.testing
seen["helicone_lite.testing"] = sorted(sys.modules)
print(json.dumps(seen))
"""


@pytest.fixture(scope="session")
def fresh_import(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """What a fresh interpreter has loaded after ``import openai``, then ``import
    helicone_lite``, importing its public names, building (and closing) a client that makes no
    call, and ``import helicone_lite.testing``, each step after the ones before: a module
    absent after a step was loaded by none of the steps up to it. One interpreter (an import
    of openai, ≈ 0.8 s of CPU) serves every probe of what an import loads.

    Stale bytecode is compiled first, in-process: the interpreter loads .pyc files, so its
    module lists are import's own."""
    import compileall
    import json
    import sys

    import helicone_lite

    compileall.compile_dir(str(Path(helicone_lite.__file__).parent), quiet=1)
    home = tmp_path_factory.mktemp("fresh-import")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_IMPORT, str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    return {step: set(names) for step, names in json.loads(out.stdout).items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A real redis-server on loopback for the session (one per xdist worker); its URL.

    Skipped when ``redis-server`` is not installed, unless ``HELICONE_LITE_REQUIRE_REDIS=1``
    (CI sets it, so the Redis suites can never silently skip there).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("HELICONE_LITE_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is required (HELICONE_LITE_REQUIRE_REDIS=1) but not found")
        pytest.skip("redis-server not installed")
    workdir = tempfile.mkdtemp(prefix="hl-redis-")  # this worker's own
    try:
        for _ in range(5):  # a free port can be taken (by another xdist worker) before use
            started = _start_redis(binary, workdir)
            if started is not None:
                break
        else:
            pytest.fail("redis-server did not start (5 attempts)")
        proc, url = started
        yield url
        proc.terminate()
        proc.wait(timeout=10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _start_redis(binary: str, workdir: str) -> tuple[subprocess.Popen[bytes], str] | None:
    """A redis-server on a free loopback port, answering; None if it exited (port taken)."""
    import redis

    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(1000):
            try:
                client.ping()
                return proc, f"redis://127.0.0.1:{port}/0"
            except redis.ConnectionError:
                if proc.poll() is not None:
                    return None
                time.sleep(0.01)  # waiting for a server process to accept connections
    finally:
        client.close()
    proc.kill()
    proc.wait()
    pytest.fail("redis-server did not answer within 10 s")


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The session's Redis, flushed before each test."""
    import redis

    redis.Redis.from_url(redis_server).flushall()
    yield redis_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL server for the session, one per xdist worker (tests/pg_server.py:
    a free port, its own data directory); its superuser URL.

    Skipped when PostgreSQL or psycopg is missing, unless ``HELICONE_LITE_REQUIRE_POSTGRES=1``
    (scripts/test.sh sets it when it could install PostgreSQL).
    """
    from tests.pg_server import PostgresServer, find_bin

    missing = None
    if find_bin() is None:
        missing = "PostgreSQL (initdb, pg_ctl) is not installed"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "psycopg is not installed (pip install 'helicone-lite[postgres]')"
    if missing is not None:
        if os.environ.get("HELICONE_LITE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{missing}, but HELICONE_LITE_REQUIRE_POSTGRES=1")
        pytest.skip(missing)
    for attempt in range(3):  # a free port can be taken (by another xdist worker) before use
        server = PostgresServer()
        try:
            url = server.__enter__()
            break
        except subprocess.CalledProcessError:
            if attempt == 2:
                raise
    try:
        yield url
    finally:
        server.stop()


def new_schema(server_url: str, name: str) -> str:
    """A fresh, empty schema on the server; a URL whose connections use it."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{server_url}?options=-csearch_path%3D{name}"


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A URL to an empty schema of the session's PostgreSQL, new for each test."""
    return new_schema(postgres_server, _schema_name(request.node.nodeid))


def _schema_name(nodeid: str) -> str:
    import hashlib

    return "t_" + hashlib.sha1(nodeid.encode()).hexdigest()[:16]


ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's store lives, once per engine: a SQLite file, or a fresh PostgreSQL
    schema (the store, report, prompt, score and alert suites run on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "home" / "helicone.db")
    server = request.getfixturevalue("postgres_server")
    return new_schema(server, _schema_name(request.node.nodeid))
