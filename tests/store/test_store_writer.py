"""The background writer: flush, many threads, asyncio, the bounded queue, close."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sqlite3
import threading
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_workers import blocked_writer, count

from helicone_lite.store import Store

RowFactory = Callable[..., dict[str, Any]]


def test_flush_without_writes_is_immediate(store: Store) -> None:
    assert store.flush(timeout=0)
    assert store.stats() == {
        "written": 0,
        "spilled": 0,
        "replayed": 0,
        "dropped": 0,
        "queued": 0,
        "errors": 0,
        "commits": 0,
        "degraded": 0,
    }


def test_flush_waits_for_rows_written_before_it(store: Store, make_row: RowFactory) -> None:
    gate = blocked_writer(store)
    for _ in range(10):
        store.write("requests", make_row())
    assert store.stats()["queued"] == 11
    assert store.flush(timeout=0) is False  # the writer is parked: not drained yet
    gate.set()
    assert store.flush() is True
    assert count(store.path) == 11
    stats = store.stats()
    assert (stats["written"], stats["spilled"], stats["dropped"], stats["queued"]) == (11, 0, 0, 0)


def test_flush_does_not_wait_for_rows_written_after_it(store: Store, make_row: RowFactory) -> None:
    gate = blocked_writer(store)
    result: list[bool] = []
    flusher = threading.Thread(target=lambda: result.append(store.flush()))
    flusher.start()
    gate.set()
    flusher.join()
    assert result == [True]


def test_eight_threads_two_hundred_rows_each(store: Store, make_row: RowFactory) -> None:
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        for i in range(200):
            store.write("requests", make_row(user_id=f"t{n}", properties={"i": i}))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.flush()
    assert count(store.path) == 1600
    assert count(store.path, "request_properties") == 1600
    assert store.stats()["written"] == 1600


def test_asyncio_tasks_share_one_store(store: Store, make_row: RowFactory) -> None:
    async def task(n: int) -> None:
        for i in range(50):
            store.write("requests", make_row(user_id=f"task{n}"))
            if i % 10 == 0:
                await asyncio.sleep(0)  # yield to the other tasks (no waiting on time)

    async def main() -> None:
        await asyncio.gather(*(task(n) for n in range(20)))
        assert await asyncio.to_thread(store.flush)

    asyncio.run(main())
    assert count(store.path) == 1000


def test_full_queue_drops_and_reports_once(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    store = Store(db_path, max_queue=5, block_timeout=0)
    try:
        gate = blocked_writer(store)  # that row is taken: the queue is empty
        for _ in range(8):
            store.write("requests", make_row())  # 5 queued, 3 dropped
        assert store.stats()["dropped"] == 3
        gate.set()
        assert store.flush()
        assert count(store.path) == 6
        stats = store.stats()
        assert (stats["written"], stats["dropped"], stats["queued"]) == (6, 3, 0)
        full = [r for r in caplog.records if "queue is full" in r.getMessage()]
        assert len(full) == 1 and full[0].levelno == logging.WARNING
        store.write("requests", make_row())  # room again: accepted
        assert store.flush() and count(store.path) == 7
    finally:
        store.close()


def test_full_queue_waits_for_room_before_dropping(db_path: Path, make_row: RowFactory) -> None:
    store = Store(db_path, max_queue=2, block_timeout=60)
    try:
        gate = blocked_writer(store)
        store.write("requests", make_row())
        store.write("requests", make_row())  # the queue is now full
        blocked = threading.Thread(target=store.write, args=("requests", make_row()))
        blocked.start()
        while store._writer._room_waiters == 0:  # until write() is waiting for room
            blocked.join(0.001)
        assert blocked.is_alive()
        gate.set()  # the writer takes the queued rows, which makes room
        blocked.join()
        assert store.flush()
        assert count(store.path) == 4
        assert store.stats()["dropped"] == 0
    finally:
        store.close()


def test_once_dropping_rows_are_dropped_without_waiting(
    db_path: Path, make_row: RowFactory
) -> None:
    # docs/schema.md: after a drop, rows are dropped at once until the writer makes room
    store = Store(db_path, max_queue=1, block_timeout=0.01)
    try:
        gate = blocked_writer(store)
        store.write("requests", make_row())  # the queue is now full
        store.write("requests", make_row())  # waits block_timeout, then dropped
        assert store.stats()["dropped"] == 1
        store._writer._block_timeout = 3600  # a wait now would outlast the test
        dropped = threading.Thread(target=store.write, args=("requests", make_row()))
        dropped.start()
        dropped.join(60)
        assert not dropped.is_alive() and store.stats()["dropped"] == 2
        gate.set()  # the writer takes the queued row: room, and waiting again
        assert store.flush()
        store.write("requests", make_row())
        assert store.flush() and count(store.path) == 3
    finally:
        store.close()


def test_full_queue_never_blocks_an_event_loop(db_path: Path, make_row: RowFactory) -> None:
    # issue 12, item 5: on an event loop's thread (AsyncClient's recorder) a full queue
    # drops the row at once instead of waiting block_timeout, which would stall every task
    store = Store(db_path, max_queue=1, block_timeout=3600)
    returned = threading.Event()

    async def log_two() -> None:
        store.write("requests", make_row())  # the queue is now full
        store.write("requests", make_row())  # dropped, not waited for
        returned.set()

    try:
        gate = blocked_writer(store)
        loop = threading.Thread(target=asyncio.run, args=(log_two(),))
        loop.start()
        assert returned.wait(60), "write() waited for room on the event loop's thread"
        assert store.stats()["dropped"] == 1
        gate.set()
        loop.join()
        assert store.flush() and count(store.path) == 2
    finally:
        store.close()


def test_close_drains_and_is_idempotent(db_path: Path, make_row: RowFactory) -> None:
    store = Store(db_path)
    for _ in range(100):
        store.write("requests", make_row())
    store.close()
    store.close()
    assert count(db_path) == 100
    assert store.flush()


def test_write_after_close_is_dropped_not_raised(
    db_path: Path, make_row: RowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="helicone_lite")
    store = Store(db_path)
    store.close()
    store.write("requests", make_row())
    store.write("requests", make_row())
    assert store.stats()["dropped"] == 2
    assert len([r for r in caplog.records if "after close" in r.getMessage()]) == 1


def test_store_is_garbage_collected_and_its_rows_drained(
    db_path: Path, make_row: RowFactory
) -> None:
    store = Store(db_path)
    for _ in range(50):
        store.write("requests", make_row())
    ref = weakref.ref(store)
    del store
    gc.collect()
    assert ref() is None  # no registry keeps it alive
    assert count(db_path) == 50  # its finalizer drained the queue


def test_one_writer_thread_per_store(store: Store, make_row: RowFactory) -> None:
    assert store._writer._thread is None  # started lazily, by the first write
    store.write("requests", make_row())
    thread = store._writer._thread
    assert thread is not None and thread.daemon and thread.name == "helicone-lite-writer"
    for _ in range(3):
        store.write("requests", make_row())
        store.flush()
    assert store._writer._thread is thread
    store.close()
    assert not thread.is_alive()


def test_write_when_no_thread_can_start(
    store: Store, make_row: RowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")  # as during interpreter shutdown

    monkeypatch.setattr(threading.Thread, "start", refuse)
    store.write("requests", make_row())  # does not raise
    monkeypatch.undo()
    assert store.flush(timeout=0)  # nothing is waiting for a thread that does not exist
    assert store.stats()["dropped"] == 1
    store.write("requests", make_row())  # threads work again: so does the writer
    assert store.flush()
    assert count(store.path) == 1


def test_writer_checkpoints_the_wal_less_often_than_sqlites_default(
    db_path: Path, make_row: RowFactory
) -> None:
    """More than SQLite's default 1,000 pages stay in the WAL (a checkpoint then copies each
    page once for many commits), never much more than ``WRITER_CHECKPOINT_PAGES``."""
    from helicone_lite.store._sink import WRITER_CHECKPOINT_PAGES

    body = {"messages": [{"role": "user", "content": "x" * 12_000}]}  # ~3 (4 KiB) overflow pages
    store = Store(db_path, batch_size=50)
    try:
        for _ in range(16):  # (8 KiB pages: ~2.4 frames a row)
            for _ in range(50):
                store.write("requests", make_row(id=str(uuid.uuid4()), request_body=body))
            assert store.flush()  # one commit per 50 rows: the writer's checkpoint test
        assert store.query("SELECT count(*) AS n FROM requests")[0]["n"] == 800
        with contextlib.closing(sqlite3.connect(db_path)) as reader:
            # (busy, frames in the WAL since it last started over, frames checkpointed)
            frames = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    finally:
        store.close()
    assert 1_000 < frames <= WRITER_CHECKPOINT_PAGES
