"""Child-process bodies for the chaos tests (run as ``python chaos_script.py MODE ...``)."""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import threading

import helicone_lite
from helicone_lite.store import Store

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
CLIENT: helicone_lite.Client | None = None


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
    with ctx.Pool(4) as pool:
        if method == "fork":
            results = pool.map(_forked_worker, [25] * 8)
        else:
            results = pool.map(_spawned_worker, [(base_url, home, 25)] * 8)
    stop.set()
    for t in threads:
        t.join()
    assert CLIENT.flush(60)
    print(5 + sum(results) + sum(done))


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
    mode, *rest = sys.argv[1:]
    if mode == "pool":
        fork_pool(*rest)
    elif mode in ("kill", "term"):
        kill_self(mode, rest[0], int(rest[1]), int(rest[2]))
    elif mode == "full":
        disk_full(rest[0], int(rest[1]))
