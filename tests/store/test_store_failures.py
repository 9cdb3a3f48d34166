"""A broken, read-only, full, locked or deleted database never raises into the caller.

The tests run as root, where ``chmod`` does not stop writes, so read-only and full disks are
produced through SQLite itself: ``on_connect`` puts the writer's connection in
``PRAGMA query_only`` (SQLite then fails writes with "attempt to write a readonly database",
the error a read-only file gives) or caps ``max_page_count`` ("database or disk is full").
A broken location is a path whose parent is a regular file, a directory, or a non-database.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_workers import blocked_writer, count

from helicone_lite.store import SCHEMA_VERSION, Store, StoreError
from helicone_lite.testing import Clock

RowFactory = Callable[..., dict[str, Any]]


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "helicone_lite" and r.levelno == logging.WARNING and text in r.getMessage()
    ]


def make_unusable(tmp_path: Path, how: str) -> Path:
    if how == "parent-is-a-file":
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("x")
        return blocker / "helicone.db"
    if how == "path-is-a-directory":
        (tmp_path / "helicone.db").mkdir()
        return tmp_path / "helicone.db"
    garbage = tmp_path / "helicone.db"
    garbage.write_bytes(b"this is not an SQLite database, just text " * 200)
    return garbage


@pytest.mark.parametrize("how", ["parent-is-a-file", "path-is-a-directory", "not-a-database"])
def test_unusable_location_degrades_and_warns_once(
    tmp_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    path = make_unusable(tmp_path, how)
    store = Store(path)  # does not raise
    assert store.degraded
    for _ in range(3):
        store.write("requests", make_row())  # does not raise
    assert store.flush()
    assert store.stats()["dropped"] == 3
    assert store.stats()["degraded"] == 1
    [warning] = warnings_about(caplog, str(path))
    assert "will not be logged" in warning.getMessage()
    with pytest.raises(StoreError):
        store.connect()
    with pytest.raises(StoreError):
        store.query("SELECT 1")
    store.close()


class Switch:
    """An ``on_connect`` hook that breaks connections opened while it is on."""

    def __init__(self, pragma: str) -> None:
        self.pragma = pragma
        self.on = threading.Event()

    def __call__(self, conn: sqlite3.Connection) -> None:
        if self.on.is_set():
            conn.execute(self.pragma)


@pytest.mark.parametrize(
    ("pragma", "message"),
    [
        ("PRAGMA query_only = ON", "readonly"),
        ("PRAGMA max_page_count = 1", "full"),
    ],
    ids=["read-only", "disk-full"],
)
def test_write_failures_spill_then_replay_once_the_store_recovers(
    db_path: Path,
    make_row: RowFactory,
    caplog: pytest.LogCaptureFixture,
    pragma: str,
    message: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    switch = Switch(pragma)
    sleeps: list[float] = []
    clock = Clock(1000.0)
    store = Store(
        db_path,
        on_connect=switch,
        retries=2,
        retry_backoff=0.5,
        sleep=sleeps.append,
        monotonic=clock,
        group_wait=0,
        probe_interval=10,
    )
    try:
        # Parked before its first commit, so before it connects. The rows are large so that
        # they need new pages (max_page_count cannot go below the current size).
        gate = blocked_writer(store, request_body="x" * 20_000)
        switch.on.set()
        for _ in range(5):
            store.write("requests", make_row(request_body="y" * 20_000))
        gate.set()
        assert store.flush()
        # The parked row's batch: one attempt and two retries with exponential backoff
        # (through the injected sleep), then spilled. The five queued rows go straight to the
        # journal: the store is not tried again before the probe interval has passed.
        assert sleeps == [0.5, 1.0]
        stats = store.stats()
        assert (stats["written"], stats["spilled"], stats["dropped"], stats["errors"]) == (
            0,
            6,
            0,
            3,
        )
        [warning] = warnings_about(caplog, "could not write")
        assert "spill journal" in warning.getMessage() and message in warning.getMessage()
        assert store.journal is not None and store.journal.pending()

        clock.now += 10  # probe time: one attempt, still failing, spilled again
        store.write("requests", make_row(request_body="z" * 20_000))
        assert store.flush()
        assert store.stats()["spilled"] == 7 and store.stats()["errors"] == 4
        assert len(warnings_about(caplog, "could not write")) == 1  # reported once

        switch.on.clear()  # the problem goes away: at the next probe the journal is replayed
        clock.now += 10
        store.write("requests", make_row())
        assert store.flush()
        assert count(db_path) == 8
        stats = store.stats()
        assert (stats["written"], stats["replayed"], stats["dropped"]) == (1, 7, 0)
        assert not store.journal.pending()
    finally:
        store.close()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions"
)
def test_read_only_file_by_permissions(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    Store(db_path).close()
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{db_path}{suffix}")
        if part.exists():
            part.chmod(0o444)
    db_path.parent.chmod(0o555)
    try:
        store = Store(db_path, retries=0)
        store.write("requests", make_row())
        assert store.flush()
        assert store.stats()["dropped"] == 1
        store.close()
    finally:
        db_path.parent.chmod(0o755)


def lock_holder(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_locked_database_succeeds_once_released(db_path: Path, make_row: RowFactory) -> None:
    released: list[float] = []
    holder: sqlite3.Connection | None = None

    def sleep(seconds: float) -> None:  # the writer backs off: release the lock now
        released.append(seconds)
        assert holder is not None
        holder.execute("COMMIT")

    store = Store(db_path, busy_timeout=0.01, sleep=sleep)
    try:
        holder = lock_holder(db_path)
        for _ in range(10):
            store.write("requests", make_row())  # returns at once although locked
        assert store.flush()
        assert count(db_path) == 10
        stats = store.stats()
        assert (stats["written"], stats["dropped"]) == (10, 0)
        assert stats["errors"] == 1 and len(released) == 1
    finally:
        store.close()
        if holder is not None:
            holder.close()


def test_locked_database_beyond_retries_spills_and_replays(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    clock = Clock(1000.0)
    store = Store(
        db_path, busy_timeout=0.01, retries=1, sleep=lambda s: None, monotonic=clock, group_wait=0
    )
    gate = blocked_writer(store)
    holder = lock_holder(db_path)
    try:
        for _ in range(3):
            store.write("requests", make_row())
        gate.set()
        assert store.flush()
        stats = store.stats()
        assert (stats["written"], stats["spilled"], stats["dropped"], stats["errors"]) == (
            0,
            4,
            0,
            2,
        )
        [warning] = warnings_about(caplog, "could not write")
        assert (
            "locked" in warning.getMessage() and "1 row(s) go to the spill" in warning.getMessage()
        )

        holder.execute("COMMIT")  # released: the next probe writes, then replays the journal
        clock.now += 60
        store.write("requests", make_row())
        assert store.flush()
        assert count(db_path) == 5
        assert store.stats()["replayed"] == 4
    finally:
        holder.close()
        store.close()


def test_locked_while_opening_a_new_file_sets_up_later(db_path: Path, make_row: RowFactory) -> None:
    db_path.parent.mkdir(parents=True)
    holder = lock_holder(db_path)  # a brand-new file, exclusively locked by someone else

    def sleep(seconds: float) -> None:
        if holder.in_transaction:
            holder.execute("COMMIT")

    store = Store(db_path, busy_timeout=0.01, sleep=sleep)
    try:
        assert not store.degraded and store.schema_version is None  # pending, not broken
        store.write("requests", make_row())
        assert store.flush()
        assert store.schema_version == SCHEMA_VERSION
        assert count(db_path) == 1
    finally:
        holder.close()
        store.close()


def test_deleted_file_does_not_raise(store: Store, make_row: RowFactory) -> None:
    store.write("requests", make_row())
    assert store.flush()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    for _ in range(3):
        store.write("requests", make_row())
    assert store.flush()
    stats = store.stats()
    assert stats["written"] + stats["dropped"] == 4


def test_a_spilled_row_keeps_its_attempts_and_properties_for_the_replay(
    db_path: Path, make_row: RowFactory
) -> None:
    """The sink prepares a batch before it fails: what it spills must still be the row as
    queued (its attempts a list, not the count the insert stores), or the replay loses them."""
    switch = Switch("PRAGMA query_only = ON")
    clock = Clock(1000.0)
    store = Store(
        db_path, on_connect=switch, retries=0, monotonic=clock, group_wait=0, probe_interval=10
    )
    try:
        switch.on.set()
        attempts = [
            {"provider": "openai", "model": "gpt-4o-mini", "status": 503, "error": "busy"},
            {"provider": "openai", "model": "gpt-4o-mini", "status": 200},
        ]
        row = make_row(attempts=attempts, properties={"App": "triage"})
        store.write("requests", row)
        assert store.flush()
        assert store.stats()["spilled"] == 1
        switch.on.clear()
        clock.now += 10
        store.write("requests", make_row())
        assert store.flush()
        assert store.stats()["replayed"] == 1
        with sqlite3.connect(db_path) as conn:
            stored = conn.execute(
                "SELECT attempts FROM requests WHERE id = ?", (row["id"],)
            ).fetchone()
            side = conn.execute(
                "SELECT attempt, status FROM attempts WHERE request_id = ? ORDER BY attempt",
                (row["id"],),
            ).fetchall()
            props = conn.execute(
                "SELECT name, value FROM request_properties WHERE request_id = ?", (row["id"],)
            ).fetchall()
        assert stored == (2,)
        assert side == [(1, 503), (2, 200)]
        assert props == [("app", "triage")]
    finally:
        store.close()
