"""Chaos: fork and spawn pools while threads call, SIGKILL, SIGTERM, a disk that fills up.

Each case runs in a child process (``chaos_script.py``); the timeouts only catch hangs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store_workers import count

from helicone_lite.store import Store
from helicone_lite.testing import FakeProvider

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
HANG = 300  # seconds; a hang is a failure, not a slow run


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the script in its own process group; past ``HANG``, SIGABRT the whole group (every
    process there has faulthandler enabled: each prints its threads' stacks) and fail with
    that output; whatever is left is killed (no orphaned pool workers)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    argv = [sys.executable, str(HERE / "chaos_script.py"), *args]
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    ) as proc:  # fmt: skip
        try:
            out, err = proc.communicate(timeout=HANG)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGABRT)  # each process prints its stacks and dies
            try:
                out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:  # e.g. a worker the pool forked after the signal
                _signal_group(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
            pytest.fail(f"chaos_script {args[0]} still running after {HANG} s; stacks:\n{err}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def replay(db: Path) -> Store:
    store = Store(db)
    store.write("requests", {"id": "probe", "model": "m"})
    assert store.flush()
    return store


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_started_while_threads_call_never_hangs_nor_loses_rows(
    tmp_path: Path, method: str
) -> None:
    if method == "fork" and not hasattr(os, "fork"):
        pytest.skip("no fork")
    home = tmp_path / "home"
    with FakeProvider() as fake:
        done = run("pool", method, fake.openai_base_url, str(home))
    assert done.returncode == 0, done.stderr[-30000:]  # a stuck pool: exit codes and stacks
    # A pool worker terminated while its writer is still busy (a loaded machine) spills its
    # last rows to the journal rather than losing them; the next store replays them.
    replay(home / "helicone.db").close()
    assert count(home / "helicone.db") == int(done.stdout.split()[-1]) + 1  # + the probe


def test_sigkill_loses_at_most_the_unflushed_window(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    done = run("kill", str(db), "200", "100")
    assert done.returncode == -signal.SIGKILL
    store = replay(db)
    rows = {r["id"] for r in store.query("SELECT id FROM requests")}
    store.close()
    assert {f"f{i}" for i in range(200)} <= rows  # every flushed row is there
    assert len(rows - {"probe"}) <= 300


def test_sigterm_drains_like_exit(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    done = run("term", str(db), "100", "500")
    assert done.returncode == -signal.SIGTERM  # still dies of SIGTERM
    store = replay(db)
    store.close()
    assert count(db) == 601


def test_disk_full_rows_spill_and_are_replayed_once_there_is_room(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    done = run("full", str(db), "100")
    assert done.returncode == 0, done.stderr[-2000:]
    written, spilled, dropped = map(int, done.stdout.split())
    assert dropped == 0 and spilled > 0 and written + spilled >= 100
    store = replay(db)
    store.close()
    assert count(db) == 102
