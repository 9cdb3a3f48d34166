"""Child-process bodies for the chaos tests (run as ``python chaos_script.py MODE ...``)."""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import resource
import signal
import sys
import threading
from multiprocessing.process import BaseProcess
from typing import NoReturn

import helicone_lite
from helicone_lite.store import Store

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
CLIENT: helicone_lite.Client | None = None
#: How long the pool may take to map its tasks before the script reports it stuck; less than
#: the test's own timeout, so the report (worker exit codes, every process's stacks) is
#: what the test shows. A run takes 5-25 s idle and up to ~120 s at load 45 on 2 cores.
MAP_TIMEOUT = 200.0


def _client(base_url: str, home: str) -> helicone_lite.Client:
    return helicone_lite.Client(api_key="sk-chaos", base_url=base_url, home=home)


def _calls(n: int, tag: str) -> int:
    assert CLIENT is not None
    for _ in range(n):
        CLIENT.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-User-Id": tag}
        )
    return n


def _forked_worker(n: int) -> int:
    # A new OpenAI client (httpx's connection pool is not fork-safe: another thread may hold
    # its lock at fork) over the inherited store, whose writer must work in the child.
    # The parent's client opened the store; rebinding CLIENT lets it be collected here, and
    # its finalizer must leave the store alone while this child's client logs to it
    # (pipeline/_runtime.py: a store's users; it once drained it and these rows were dropped).
    global CLIENT
    assert CLIENT is not None
    store, base_url = CLIENT.store, str(CLIENT.base_url)
    CLIENT = helicone_lite.Client(api_key="sk-chaos", base_url=base_url, store=store)
    return _calls(n, "forked")


def _spawned_worker(args: tuple[str, str, int]) -> int:
    global CLIENT
    base_url, home, n = args
    CLIENT = _client(base_url, home)
    return _calls(n, "spawned")


def fork_pool(method: str, base_url: str, home: str) -> None:
    """Threads keep calling while the main thread starts a pool (fork or spawn)."""
    global CLIENT
    CLIENT = _client(base_url, home)
    stop = threading.Event()
    done: list[int] = []

    def busy() -> None:
        n = 0
        while not stop.is_set():
            n += _calls(1, "thread")
        done.append(n)

    threads = [threading.Thread(target=busy) for _ in range(3)]
    for t in threads:
        t.start()
    _calls(5, "main")  # the writer is running and costs are being priced
    ctx = multiprocessing.get_context(method)
    # faulthandler is enabled in each worker once it runs (after the fork): SIGABRT or a
    # crash prints its threads' stacks to the inherited stderr
    with ctx.Pool(4, initializer=faulthandler.enable) as pool:
        workers = multiprocessing.active_children()
        if method == "fork":
            mapped = pool.map_async(_forked_worker, [25] * 8)
        else:
            mapped = pool.map_async(_spawned_worker, [(base_url, home, 25)] * 8)
        try:
            results = mapped.get(MAP_TIMEOUT)
        except multiprocessing.TimeoutError:
            _report_stuck_pool(workers)
    stop.set()
    for t in threads:
        t.join()
    assert CLIENT.flush(60)
    print(5 + sum(results) + sum(done))


def _report_stuck_pool(workers: list[BaseProcess]) -> NoReturn:
    """The pool did not finish in time: say which workers died (a dead worker's task is lost
    and ``map`` waits forever), make the live ones print their stacks (SIGABRT, handled by
    their faulthandler), print this process's, and end without the usual cleanup."""
    alive = [p for p in workers if p.exitcode is None]
    codes = ", ".join(f"{p.pid}: {'alive' if p.exitcode is None else p.exitcode}" for p in workers)
    print(f"chaos: pool.map not done after {MAP_TIMEOUT:.0f} s; workers {codes}", file=sys.stderr)
    sys.stderr.flush()
    for p in alive:
        if p.pid is not None:
            os.kill(p.pid, signal.SIGABRT)
    for p in alive:
        p.join(30)  # its stacks are written once it is gone
    print("chaos: the pool's parent:", file=sys.stderr)
    sys.stderr.flush()
    faulthandler.dump_traceback(all_threads=True)
    if os.getpgid(0) == os.getpid():  # our own group (the test's): the pool's replacements too
        os.killpg(0, signal.SIGKILL)
    os._exit(3)


def kill_self(how: str, db: str, flushed: int, unflushed: int) -> None:
    store = Store(db, group_wait=0)
    for i in range(flushed):
        store.write("requests", {"id": f"f{i}", "model": "m", "status": 200})
    assert store.flush(60)
    for i in range(unflushed):
        store.write("requests", {"id": f"u{i}", "model": "m", "status": 200})
    os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGTERM)
    signal.pause()  # SIGTERM's handler drains, then the process dies of SIGTERM


def disk_full(db: str, rows: int) -> None:
    store = Store(db, retries=0, group_wait=0)
    store.write("requests", {"id": "first", "model": "m"})
    assert store.flush(60)
    store.connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL starts empty
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    limit = 64 * 1024  # the database file is larger: no page of it can be written
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    for i in range(rows):
        store.write("requests", {"id": f"r{i}", "model": "m", "request_body": "x" * 100})
    assert store.flush(60)
    stats = store.stats()
    print(stats["written"], stats["spilled"], stats["dropped"])


if __name__ == "__main__":
    # SIGABRT (the test's answer to a run past its timeout) prints every thread's stack; only
    # signal handlers: no watchdog thread (dump_traceback_later) whose lock a fork could copy.
    faulthandler.enable()
    mode, *rest = sys.argv[1:]
    if mode == "pool":
        fork_pool(*rest)
    elif mode in ("kill", "term"):
        kill_self(mode, rest[0], int(rest[1]), int(rest[2]))
    elif mode == "full":
        disk_full(rest[0], int(rest[1]))
