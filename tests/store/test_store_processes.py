"""Several processes on one file: concurrent writers, first-open migration, fork, exit."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import store_workers
from store_workers import count

from helicone_lite.store import SCHEMA_VERSION, Store
from tests.processes import forkserver, process

RowFactory = Callable[..., dict[str, Any]]
HAS_FORK = hasattr(os, "fork")
ROOT = Path(__file__).resolve().parents[2]


def test_threads_and_processes_write_one_file(db_path: Path, make_row: RowFactory) -> None:
    store = Store(db_path)
    ctx = forkserver()
    start = ctx.Event()
    procs = [
        process(ctx, store_workers.write_rows, (str(db_path), 300, f"proc{n}", start))
        for n in range(2)
    ]
    for p in procs:
        p.start()

    def worker(n: int) -> None:
        start.wait()
        for i in range(200):
            store.write("requests", make_row(user_id=f"thread{n}", properties={"i": i}))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    start.set()  # everyone writes at once
    for t in threads:
        t.join()
    assert store.flush()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store.close()

    assert count(db_path) == 1600 + 2 * 300
    assert count(db_path, "request_properties") == 1600 + 2 * 300
    by_user = Store(db_path).query(
        "SELECT user_id, count(*) AS n FROM requests GROUP BY user_id ORDER BY user_id"
    )
    assert {r["user_id"]: r["n"] for r in by_user} == {
        **{f"proc{n}": 300 for n in range(2)},
        **{f"thread{n}": 200 for n in range(8)},
    }


def test_two_processes_opening_a_new_file_migrate_once(db_path: Path) -> None:
    ctx = forkserver()
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        process(ctx, store_workers.open_store, (str(db_path), start, results)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    # Migrations use plain CREATE TABLE: had both processes run v1, one would have failed
    # (and been degraded).
    assert outcomes == [(False, SCHEMA_VERSION), (False, SCHEMA_VERSION)]
    store = Store(db_path)
    assert store.query("PRAGMA user_version") == [{"user_version": SCHEMA_VERSION}]
    store.close()


@pytest.mark.skipif(not HAS_FORK, reason="os.fork is not available")
def test_forked_child_gets_its_own_writer_and_connections(
    db_path: Path, make_row: RowFactory
) -> None:
    store = Store(db_path)
    parent_conn = store.connect()
    gate = store_workers.blocked_writer(store)  # the parent's writer is busy when fork starts
    for _ in range(10):
        store.write("requests", make_row(user_id="parent"))  # queued in the parent
    # Registered after the store's hooks, so it runs first: the fork lets the parked batch
    # go and then waits for it (see the next test); the 10 queued rows stay the parent's.
    os.register_at_fork(before=gate.set)

    pid = os.fork()
    if pid == 0:  # child: must not write the parent's queued rows, nor use its connections
        code = 1
        try:
            child_conn = store.connect()
            for _ in range(5):
                store.write("requests", make_row(user_id="child"))
            ok = store.flush(timeout=60) and store.stats()["written"] == 5
            code = 0 if ok and child_conn is not parent_conn else 2
        finally:
            os._exit(code)
    gate.set()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.flush()
    users = store.query("SELECT user_id, count(*) AS n FROM requests GROUP BY user_id")
    assert {r["user_id"]: r["n"] for r in users} == {"parent": 10, "child": 5, "patient-7829": 1}
    assert store.connect() is parent_conn
    store.close()


@pytest.mark.skipif(not HAS_FORK, reason="os.fork is not available")
def test_fork_waits_for_the_writers_batch_in_hand(db_path: Path) -> None:
    # A batch runs pydantic-core's serialisers, whose first use in a process initialises
    # once-cells with the GIL released: a child forked mid-batch could inherit one stuck
    # "running" and hang in its first model_dump_json. So a fork waits for the batch.
    store = Store(db_path)
    gate, entered, finished = threading.Event(), threading.Event(), threading.Event()

    def cost() -> None:
        entered.set()
        gate.wait()
        finished.set()

    store.write("requests", store_workers.request_row(_cost=cost))
    assert entered.wait(60)  # the writer thread is inside the batch
    os.register_at_fork(before=gate.set)  # runs before the store's hook (registered later)
    pid = os.fork()
    if pid == 0:  # the batch was over before the process was copied
        os._exit(0 if finished.is_set() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.flush()
    assert store.stats()["written"] == 1
    store.close()


@pytest.mark.skipif(not HAS_FORK, reason="fork start method is not available")
def test_multiprocessing_fork_workers_drain_at_exit(db_path: Path) -> None:
    store = Store(db_path)
    store.write("requests", store_workers.request_row(user_id="parent"))
    store.flush()
    ctx = multiprocessing.get_context("fork")
    # The workers write through the inherited store and return without flush(): their
    # exit (os._exit, no atexit) must still drain their queue.
    procs = [ctx.Process(target=_write_through_inherited_store, args=(store,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert count(db_path) == 1 + 2 * 50
    store.close()


def _write_through_inherited_store(store: Store) -> None:
    for _ in range(50):
        store.write("requests", store_workers.request_row(user_id="worker"))


EXIT_SCRIPT = """
import sys
from helicone_lite.store import Store

assert "multiprocessing" not in sys.modules  # so only atexit can drain the queue
# a global: alive until interpreter exit, never collected before. exit_timeout is generous:
# this is about exit draining at all (the 2 s default spills the rest on a loaded machine,
# which test_store_spill covers)
store = Store(sys.argv[1], exit_timeout=60.0)
for i in range(int(sys.argv[2])):
    store.write("requests", {"id": f"r{i}", "model": "gpt-4o-mini", "properties": {"i": i}})
# exits without flush() or close()
"""


def test_interpreter_exit_drains_the_queue(db_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(db_path), "2000"], check=True, env=env, timeout=120
    )
    assert count(db_path) == 2000
    assert count(db_path, "request_properties") == 2000
