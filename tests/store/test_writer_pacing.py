"""The writer's GIL release points (store/_pacing.py): between the rows of a batch's Python,
only while it keeps up and nobody waits for it; every row still written. Injected clocks and
a recording sleep: no timing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from store_workers import blocked_writer, count

from helicone_lite.store import Store
from helicone_lite.store._pacing import PAUSE, Pacer
from helicone_lite.testing import Clock

RowFactory = Callable[..., dict[str, Any]]


def wait_written(store: Store, rows: int) -> None:
    """Wait on the writer's condition (not ``flush()``, which makes it hurry) for ``rows``."""
    writer = store._writer
    with writer._lock:
        assert writer._drained.wait_for(lambda: writer._done >= rows, 60)


def recording_pacer(store: Store) -> list[float]:
    """Give the store's writer a pacer whose every tick is past a stretch (the clock moves a
    second a reading) and whose sleep records; returns the sleeps."""
    sleeps: list[float] = []
    writer = store._writer
    writer.pacer = Pacer(writer._may_pace, clock=Clock(0.0, step=1.0), sleep=sleeps.append)
    return sleeps


def test_pacer_releases_once_a_stretch_is_over() -> None:
    clock, sleeps = Clock(0.0), list[float]()
    pacer = Pacer(lambda: True, stretch=0.5, pause=0.001, clock=clock, sleep=sleeps.append)
    pacer.begin()
    clock.advance(0.4)
    pacer.tick()
    assert sleeps == []  # within the stretch
    clock.advance(0.2)
    pacer.tick()
    assert sleeps == [0.001] and pacer.yields == 1
    clock.advance(0.4)
    pacer.tick()  # a new stretch began at the release
    assert sleeps == [0.001]


def test_pacer_asks_once_a_stretch_and_keeps_the_gil_when_not_wanted() -> None:
    clock, sleeps, asked = Clock(0.0), list[float](), list[float]()

    def wanted() -> bool:
        asked.append(clock.now)
        return False

    pacer = Pacer(wanted, stretch=0.5, clock=clock, sleep=sleeps.append)
    pacer.begin()
    for _ in range(8):
        clock.advance(0.25)
        pacer.tick()
    assert sleeps == [] and pacer.yields == 0
    assert asked == [0.5, 1.0, 1.5, 2.0]  # once a stretch, not on every row


def test_paced_batch_writes_every_row(database: str, make_row: RowFactory) -> None:
    # one batch of 20 (a frozen clock: the writer gathers until group_rows), nothing behind it
    store = Store(database, group_rows=20, group_wait=3600.0, monotonic=Clock(1000.0))
    try:
        sleeps = recording_pacer(store)
        for i in range(20):
            store.write("requests", make_row(user_id=f"u{i}", properties={"i": i}))
        wait_written(store, 20)
        stats = store.stats()
        assert (stats["written"], stats["dropped"], stats["commits"]) == (20, 0, 1)
        assert len(store.query("SELECT id FROM requests")) == 20
        # a release point after each row built and each row the sink prepared
        assert sleeps == [PAUSE] * 40
    finally:
        store.close()


def test_no_release_points_with_a_backlog(db_path: Path, make_row: RowFactory) -> None:
    # every reading of the clock ends the gathering: batches of batch_size from the queue
    clock = Clock(1000.0, step=2.0)
    # backlog_rows=0: batches stay at batch_size (bigger backlog batches: test_writer_batches)
    store = Store(
        db_path, group_rows=5, batch_size=5, backlog_rows=0, group_wait=1.0, monotonic=clock
    )
    try:
        sleeps = recording_pacer(store)
        gate = blocked_writer(store)  # one row, in a batch of its own
        for _ in range(20):
            store.write("requests", make_row())
        gate.set()
        wait_written(store, 21)
        assert count(db_path) == 21
        # batches of 5 with 15, 10 and 5 rows behind them write at full speed; the last (none
        # behind) gives the GIL back after each of its 5 rows built and prepared
        assert sleeps == [PAUSE] * 10
    finally:
        store.close()


def test_no_release_points_while_flush_or_exit_waits(db_path: Path, make_row: RowFactory) -> None:
    store = Store(db_path)
    writer = store._writer
    try:
        assert writer._may_pace()
        writer._hurry += 1  # what flush() does while it waits
        assert not writer._may_pace()
        writer._hurry -= 1
        gate = blocked_writer(store)
        for _ in range(5):
            store.write("requests", make_row())
        sleeps = recording_pacer(store)
        with writer._lock:
            writer._hurry += 1  # a flush() waits for the 5 rows queued behind the parked one
        gate.set()
        wait_written(store, 6)
        with writer._lock:
            writer._hurry -= 1
        assert sleeps == [] and count(db_path) == 6
    finally:
        store.close()
    assert not writer._may_pace()  # stopping: the exit drain writes at full speed


def test_flush_and_close_complete_with_the_default_pacer(
    db_path: Path, make_row: RowFactory
) -> None:
    store = Store(db_path)
    assert store._writer.pacer.yields == 0
    for i in range(300):
        store.write("requests", make_row(properties={"i": i}))
    assert store.flush()
    for _ in range(300):
        store.write("requests", make_row())
    store.close()
    assert count(db_path) == 600
    assert store.stats()["dropped"] == 0
