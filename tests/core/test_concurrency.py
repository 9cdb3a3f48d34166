"""Many threads and processes on one store: exactly one row per call; a broken store never
fails a call."""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider
from tests.processes import forkserver, process

from .conftest import KEY, MESSAGES, rows


def _process_calls(base_url: str, home: str, n: int) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=base_url, home=home)
    for i in range(n):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-User-Id": f"proc-{i}"}
        )
    client.close()


def test_threads_and_processes_write_exactly_one_row_each(
    client: helicone_lite.Client, fake: FakeProvider, home: Path
) -> None:
    ctx = forkserver()
    procs = [process(ctx, _process_calls, (fake.openai_base_url, str(home), 50)) for _ in range(2)]
    for p in procs:
        p.start()

    def call(i: int) -> str:
        r = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        return r.headers["Helicone-Id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(call, range(8 * 200)))
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert len(set(ids)) == 1600
    counted = rows(client, "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM requests")[0]
    assert counted == {"n": 1700, "d": 1700}


def test_unwritable_store_never_fails_calls(
    fake: FakeProvider, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the home directory should be")
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=blocker / "home")
    for _ in range(3):
        r = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert r.choices[0].message.content
    client.flush(timeout=10)
    warnings = [r for r in caplog.records if r.name == "helicone_lite"]
    assert 1 <= len(warnings) <= 2  # reported once, not once per call


def test_locked_store_never_fails_calls(client: helicone_lite.Client) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.flush()
    locker = sqlite3.connect(client.store.path, timeout=0.1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        r = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert r.choices[0].message.content
    finally:
        locker.rollback()
        locker.close()
    client.flush(timeout=30)
    assert len(rows(client)) in (1, 2)  # the second row lands once the lock is gone, or is reported
