"""Batch sizes under a backlog (``_batching.py``) and the page size of new files."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from pathlib import Path

import pytest
from store_workers import blocked_writer, count, request_row

from helicone_lite.store import Store
from helicone_lite.store._batching import BatchLimit
from helicone_lite.store._database import NEW_PAGE_SIZE


def test_a_short_queue_is_one_normal_batch() -> None:
    limit = BatchLimit(500, 5000, max_hold=0.25)
    limit.held(500, 0.0005)  # (a fast store: the bound would allow the whole backlog)
    assert limit.rows(1) == 1
    assert limit.rows(300) == 300
    assert limit.rows(500) == 500


def test_a_backlog_grows_the_batch_as_far_as_the_hold_bound() -> None:
    limit = BatchLimit(500, 5000, max_hold=0.25)
    assert limit.rows(20_000) == 500  # nothing measured yet: a normal batch first
    limit.held(500, 0.05)  # 100 µs a row: 2,500 rows fit in 0.25 s
    assert limit.rows(20_000) == 2_500
    assert limit.rows(1_200) == 1_200
    limit.held(2_500, 0.05)  # 20 µs a row: more would fit than backlog_rows allows
    assert limit.rows(20_000) == 5_000
    limit.held(5_000, 5.0)  # a slow batch (1 ms a row): the next is a normal one again
    assert limit.rows(20_000) == 500


def test_backlog_rows_at_batch_size_turns_bigger_batches_off() -> None:
    limit = BatchLimit(500, 0)
    limit.held(500, 0.0005)
    assert limit.rows(20_000) == 500


def test_an_unmeasured_commit_keeps_the_last_measure() -> None:
    limit = BatchLimit(100, 1000, max_hold=1.0)
    limit.held(100, 0.01)
    limit.held(0, 0.0)  # a batch whose rows were all rejected, an engine that cannot tell
    assert limit.rows(5_000) == 1_000


def _backlog_commits(db_path: Path, rows: int, **options: float) -> tuple[int, int]:
    """(commits, rows written) for ``rows`` queued behind a parked writer."""
    store = Store(db_path, batch_size=100, group_wait=0, **options)  # type: ignore[arg-type]
    try:
        gate = blocked_writer(store)  # (that row's batch is measured: the writer has a cost)
        for _ in range(rows):
            store.write("requests", request_row(id=str(uuid.uuid4())))
        before = store.stats()["commits"]
        gate.set()
        assert store.flush()
        return store.stats()["commits"] - before - 1, count(db_path) - 1
    finally:
        store.close()


def test_a_backlog_is_written_in_bigger_transactions(db_path: Path) -> None:
    assert _backlog_commits(db_path, 1_000, backlog_rows=2_000, max_hold=3600.0) == (1, 1_000)


def test_the_hold_bound_keeps_backlog_batches_normal(db_path: Path) -> None:
    # a bound no batch fits in: every backlog batch is batch_size rows, as without backlog_rows
    assert _backlog_commits(db_path, 1_000, backlog_rows=2_000, max_hold=1e-9) == (10, 1_000)


def test_the_sink_reports_how_long_a_commit_held_the_lock(store: Store) -> None:
    store.write("requests", request_row())
    assert store.flush()
    assert store._sink._held > 0  # what the next batch's size is bounded by


def _page_size(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])


def test_a_new_store_has_8_kib_pages(store: Store) -> None:
    store.write("requests", request_row())
    assert store.flush()
    assert NEW_PAGE_SIZE == 8192
    assert _page_size(store.path) == NEW_PAGE_SIZE


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_an_existing_store_keeps_its_page_size_and_works(db_path: Path, journal: str) -> None:
    db_path.parent.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute(f"PRAGMA journal_mode = {journal}")
        conn.execute("CREATE TABLE notes (x)")  # (a file made before: not empty)
    store = Store(db_path)
    try:
        for i in range(300):
            store.write("requests", request_row(user_id=f"u{i % 7}"))
        assert store.flush()
        rows = store.query("SELECT user_id, count(*) AS n FROM requests GROUP BY 1 ORDER BY 1")
    finally:
        store.close()
    assert [r["n"] for r in rows] == [43, 43, 43, 43, 43, 43, 42]
    assert _page_size(db_path) == 4096
