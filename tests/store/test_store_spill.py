"""Group commit, the spill journal (exactly-once replay, checksums, byte bound), the inode
check and the bounded exit: injected clocks and real files."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_workers import count

from helicone_lite.store import Store
from helicone_lite.store._spill import SpillJournal
from helicone_lite.testing import Clock

RowFactory = Callable[..., dict[str, Any]]


def wait_written(store: Store, rows: int) -> None:
    """Wait (on the writer's condition, not on time) until ``rows`` rows are handled."""
    writer = store._writer
    with writer._lock:
        assert writer._drained.wait_for(lambda: writer._done >= rows, 60)


def test_group_commit_gathers_rows_into_one_commit(db_path: Path, make_row: RowFactory) -> None:
    # A frozen clock: the time budget never runs out, so the writer commits when 10 are queued.
    store = Store(db_path, group_rows=10, group_wait=5.0, monotonic=Clock(1000.0))
    try:
        for _ in range(10):
            store.write("requests", make_row())
        wait_written(store, 10)
        stats = store.stats()
        assert (stats["written"], stats["commits"]) == (10, 1)
    finally:
        store.close()


def test_group_commit_time_budget_ends_the_wait(db_path: Path, make_row: RowFactory) -> None:
    # Each reading of the clock moves it past the budget: one row is committed alone.
    store = Store(db_path, group_rows=100, group_wait=1.0, monotonic=Clock(1000.0, step=2.0))
    try:
        store.write("requests", make_row())
        wait_written(store, 1)
        assert store.stats()["commits"] == 1 and count(db_path) == 1
    finally:
        store.close()


def test_flush_cuts_the_gathering_short(db_path: Path, make_row: RowFactory) -> None:
    store = Store(db_path, group_rows=100, group_wait=3600.0, monotonic=Clock(1000.0))
    try:
        for _ in range(3):
            store.write("requests", make_row())
        assert store.flush()
        assert count(db_path) == 3
    finally:
        store.close()


def lock_holder(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def spilling_store(db_path: Path, **options: Any) -> Store:
    return Store(db_path, busy_timeout=0.01, retries=0, group_wait=0, monotonic=Clock(1000.0), **options)


def test_rows_spilled_in_one_process_are_replayed_exactly_once_by_the_next(
    db_path: Path, make_row: RowFactory
) -> None:
    Store(db_path).close()
    holder = lock_holder(db_path)
    first = spilling_store(db_path)
    ids = [f"row-{i}" for i in range(40)]
    for row_id in ids:
        first.write("requests", make_row(id=row_id, properties={"n": row_id}))
    assert first.flush()
    assert (first.stats()["spilled"], first.stats()["dropped"]) == (40, 0)
    first.close()
    holder.execute("COMMIT")
    holder.close()
    assert count(db_path) == 0

    second = Store(db_path)
    second.write("requests", make_row(id="after"))
    assert second.flush()
    assert second.stats()["replayed"] == 40
    second.close()
    third = Store(db_path)  # nothing left to replay: no row twice
    third.write("requests", make_row(id="later"))
    assert third.flush() and third.stats()["replayed"] == 0
    third.close()
    assert count(db_path) == 42
    assert count(db_path, "request_properties") == 40
    assert not SpillJournal(db_path, max_bytes=1).pending()


def test_replay_after_a_crash_mid_replay_inserts_no_duplicate(
    db_path: Path, make_row: RowFactory
) -> None:
    journal = SpillJournal(db_path, max_bytes=1 << 20)
    rows = [make_row(id=f"r{i}") for i in range(10)]
    assert journal.append([("requests", dict(r)) for r in rows]) == (10, 0)
    [claimed] = journal.claim()  # a replayer claimed it, committed half, then died
    store = Store(db_path, spill_max_bytes=0)  # no journal: this one only commits the half
    for r in rows[:5]:
        store.write("requests", dict(r))
    assert store.flush()
    store.close()

    again = Store(db_path)
    again.write("requests", make_row(id="new"))
    assert again.flush()
    assert again.stats()["replayed"] == 10  # sent again; the five committed ones are ignored
    again.close()
    assert count(db_path) == 11
    assert not claimed.exists()


def test_damaged_records_are_skipped_and_counted(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    journal = SpillJournal(db_path, max_bytes=1 << 20)
    journal.append([("requests", make_row(id=f"r{i}")) for i in range(5)])
    path = journal.paths[0]
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"gpt-4o-mini", b"gpt-4o-MINI")  # checksum no longer matches
    path.write_bytes(b"".join(lines) + b'0badc0de {"t": "requests", "r": {"id": "torn"')
    store = Store(db_path)
    store.write("requests", make_row(id="new"))
    assert store.flush()
    stats = store.stats()
    assert (stats["replayed"], stats["dropped"]) == (4, 2)
    store.close()
    assert count(db_path) == 5
    assert any("damaged records" in r.getMessage() for r in caplog.records)


def test_spill_journal_is_bounded_and_counts_what_it_drops(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    Store(db_path).close()
    holder = lock_holder(db_path)
    store = spilling_store(db_path, spill_max_bytes=4096, spill_fallback=tmp_path / "fallback")
    try:
        for _ in range(20):
            store.write("requests", make_row(request_body="x" * 500))
        assert store.flush()
        stats = store.stats()
        assert stats["spilled"] + stats["dropped"] == 20
        assert stats["dropped"] > 0 and stats["spilled"] > 0
        assert store.journal is not None
        assert store.journal.paths[0].stat().st_size <= 4096
        assert any("spill journal is full" in r.getMessage() for r in caplog.records)
    finally:
        holder.close()
        store.close()


def test_journal_files_are_private(db_path: Path, make_row: RowFactory) -> None:
    journal = SpillJournal(db_path, max_bytes=1 << 20)
    journal.append([("requests", make_row())])
    assert journal.paths[0].stat().st_mode & 0o777 == 0o600


def test_deleted_store_is_recreated_and_rows_reach_the_new_file(
    store: Store, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    store.write("requests", make_row())
    assert store.flush()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    for _ in range(3):
        store.write("requests", make_row())
    assert store.flush()
    assert count(store.path) == 3  # in the file now at the path, not the orphan
    assert any("deleted or replaced" in r.getMessage() for r in caplog.records)


def test_replaced_store_file_is_reopened(
    db_path: Path, make_row: RowFactory, tmp_path: Path
) -> None:
    store = Store(db_path)
    try:
        store.write("requests", make_row(id="before"))
        assert store.flush()
        other = tmp_path / "restored.db"
        Store(other).close()
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        shutil.move(other, db_path)  # e.g. a backup restored over the live file
        store.write("requests", make_row(id="after"))
        assert store.flush()
        ids = [r[0] for r in sqlite3.connect(db_path).execute("SELECT id FROM requests")]
        assert ids == ["after"]
    finally:
        store.close()


def test_exit_waits_a_bounded_time_then_spills_the_rest(
    db_path: Path, make_row: RowFactory
) -> None:
    Store(db_path).close()
    holder = lock_holder(db_path)
    # The writer sits in SQLite's busy wait (30 s) with a batch in flight; close() gives up
    # after exit_timeout and spills that batch and everything queued.
    store = Store(db_path, busy_timeout=30, retries=0, group_wait=0, exit_timeout=0.2)
    for i in range(50):
        store.write("requests", make_row(id=f"r{i}"))
    store.close()
    stats = store.stats()
    assert stats["spilled"] >= 49 and stats["dropped"] == 0
    holder.execute("COMMIT")  # the stuck writer may now commit its batch: replay ignores it
    holder.close()
    after = Store(db_path)
    after.write("requests", make_row(id="next"))
    assert after.flush()
    after.close()
    assert count(db_path) == 51


class _StallsOnTheWriter:
    """A deferred row whose build stalls on the writer thread only (as a thread starved of
    CPU would between taking its batch and building it); built elsewhere, it is the row."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row, self.entered, self.go = row, threading.Event(), threading.Event()
        self.writer: int | None = None

    def build(self) -> dict[str, Any]:
        if self.writer is None or self.writer == threading.get_ident():
            self.writer = threading.get_ident()
            self.entered.set()
            self.go.wait()
        return dict(self.row)

    def fallback(self) -> dict[str, Any]:
        return dict(self.row)


def test_exit_spills_the_batch_the_writer_took_but_has_not_built(
    db_path: Path, make_row: RowFactory
) -> None:
    store = Store(db_path, group_wait=0, exit_timeout=0.1)
    stalled = _StallsOnTheWriter(make_row(id="taken"))
    store.write_deferred("requests", stalled)
    assert stalled.entered.wait(60)  # the writer holds the batch, not yet built
    for i in range(9):
        store.write("requests", make_row(id=f"q{i}"))
    store.close()  # gives up on the writer after exit_timeout
    assert store.stats()["spilled"] == 10 and store.stats()["dropped"] == 0
    stalled.go.set()  # the writer may now write its batch too: replay ignores the copy
    after = Store(db_path)
    after.write("requests", make_row(id="next"))
    assert after.flush()
    after.close()
    assert count(db_path) == 11


def test_exit_is_bounded_when_serialising_a_row_never_ends(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # A forked child can inherit one of pydantic-core's once-cells stuck "running" (see
    # BatchWriter.pause_for_fork): the writer thread and any other thread that serialises a
    # reply then wait forever. Exit gives up on such rows instead of hanging.
    store = Store(db_path, group_wait=0, exit_timeout=0.1)
    stuck, entered = threading.Event(), threading.Event()

    def never_ends() -> str:
        entered.set()
        stuck.wait()
        return "{}"

    store.write("requests", make_row(id="stuck", response_body=never_ends))
    assert entered.wait(60)  # the writer thread is stuck building this row
    store.write("requests", make_row(id="queued", response_body=never_ends))
    closing = threading.Thread(target=store.close)
    closing.start()
    closing.join(120)  # a hang guard, not a timing assertion (the bound is 5 s)
    hung = closing.is_alive()
    stuck.set()
    assert not hung
    # the queued row and the writer's own (exit builds the batch the writer holds, too)
    assert store.stats()["dropped"] == 2
    assert any("could not serialise 2 row" in r.getMessage() for r in caplog.records)


def test_ids_differ_between_parent_and_forked_child(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    store = Store(tmp_path / "x.db")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, store.ids.new().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    mine = store.ids.new()
    assert child[14] == mine[14] == "7"
    assert child[19:] != mine[19:]  # random parts diverge after fork (re-seeded)
    store.close()


def test_a_replay_that_raises_does_not_stop_the_writer(
    db_path: Path,
    make_row: RowFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error while replaying the journal (here, claiming its files) is reported
    and the writer goes on: before, it ended the writer thread, and ``flush()`` then waited
    for rows no thread would write."""
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    with Store(db_path, group_wait=0) as store:
        journal = store.journal
        assert journal is not None

        def broken() -> list[Path]:
            raise OSError("the journal directory went away")

        monkeypatch.setattr(journal, "pending", lambda: True)
        monkeypatch.setattr(journal, "claim", broken)
        for _ in range(3):
            store.write("requests", make_row())
            assert store.flush(timeout=10)
        assert count(db_path) == 3
    assert any("writer error" in r.getMessage() for r in caplog.records)
