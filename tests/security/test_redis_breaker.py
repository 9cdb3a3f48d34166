"""Chaos: Redis frozen with SIGSTOP under the rate limiter (finding 11).

A frozen Redis used to cost every rate-limited call a full socket timeout. Now the first
timeout opens a circuit breaker: calls get the documented answer at once (503 by default, or
admitted with ``ratelimit_fail_open=True``) without touching Redis, until the injected
monotonic clock passes ``ratelimit_breaker_seconds``; then one call probes again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider
from tests.conftest import _start_redis

from .conftest import KEY, MESSAGES, Clock

POLICY = {"Helicone-RateLimit-Policy": "1000;w=60"}


@pytest.fixture
def frozen_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server (this test stops it with SIGSTOP)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    workdir = tempfile.mkdtemp(prefix="hl-redis-stop-")
    # conftest's start: a port taken by another xdist worker before redis binds it is retried,
    # and a server that never answers fails the test here instead of later, as a timeout
    for _ in range(5):
        started = _start_redis(binary, workdir)
        if started is not None:
            break
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail("redis-server did not start (5 attempts)")
    proc, url = started
    try:
        yield url, proc
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _client(
    fake: FakeProvider, home: Path, url: str, mono: Clock, **kw: object
) -> helicone_lite.Client:
    return helicone_lite.Client(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        redis_url=url,
        monotonic=mono,
        ratelimit_timeout=0.05,  # small, so the one real timeout is short
        ratelimit_breaker_seconds=5.0,
        **kw,  # type: ignore[arg-type]
    )


def _ask(client: helicone_lite.Client) -> object:
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers=POLICY
    )


def test_a_frozen_redis_trips_the_breaker_fail_closed(
    fake: FakeProvider, home: Path, frozen_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, proc = frozen_redis
    mono = Clock(1000.0)
    client = _client(fake, home, url, mono)
    try:
        _ask(client)  # connected and admitted
        os.kill(proc.pid, signal.SIGSTOP)
        with pytest.raises(openai.InternalServerError) as first:
            _ask(client)
        assert first.value.status_code == 503
        assert "breaker" not in str(first.value)  # this one waited for the socket timeout
        for _ in range(20):  # same instant: answered at once, Redis not touched
            with pytest.raises(openai.InternalServerError) as info:
                _ask(client)
            assert "circuit breaker is open" in str(info.value)
        mono.advance(5.0)  # half-open: one probe, which times out again
        with pytest.raises(openai.InternalServerError) as probe:
            _ask(client)
        assert "circuit breaker is open" not in str(probe.value)
        os.kill(proc.pid, signal.SIGCONT)
        with pytest.raises(openai.InternalServerError, match="circuit breaker is open"):
            _ask(client)  # still open until the clock says so
        mono.advance(5.0)
        assert _ask(client) is not None  # Redis back: admitted, the breaker closes
        assert _ask(client) is not None
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        client.close()
    assert len(fake.requests) == 3  # no call was sent while the limit could not be checked


def test_a_frozen_redis_with_fail_open_admits_at_once(
    fake: FakeProvider, home: Path, frozen_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, proc = frozen_redis
    mono = Clock(1000.0)
    client = _client(fake, home, url, mono, ratelimit_fail_open=True)
    try:
        _ask(client)
        os.kill(proc.pid, signal.SIGSTOP)
        for _ in range(20):
            _ask(client)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        client.close()
    assert len(fake.requests) == 21
