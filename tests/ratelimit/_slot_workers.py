"""Child-process bodies for test_slots.py (importable, so spawn and forkserver can run them)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from helicone_lite.ratelimit import BackendError, Bucket, LocalBuckets

T0 = 1_750_000_000.0


def request_bucket(key: str, capacity: float) -> Bucket:
    return Bucket(
        key=key, policy=f"{capacity:g};w=3600", shown=f"{capacity:g};w=3600", segment="global",
        unit="request", capacity=capacity, window=3600, amount=1.0,
    )  # fmt: skip


def hammer(store: LocalBuckets | str, threads: int, calls: int, go: Any, out: Any) -> None:
    """``threads`` threads take ``calls`` times each from one 50-token bucket once ``go`` is
    set (the clock frozen: no refill); put the number admitted on ``out``. ``store`` is the
    parent's store object (fork: inherited, open) or a path (spawn: opened here)."""
    buckets = LocalBuckets(Path(store)) if isinstance(store, str) else store
    bucket = request_bucket("race", 50)
    admitted: list[int] = []

    def run() -> None:
        go.wait()
        admitted.append(sum(buckets.take([bucket], T0).admitted for _ in range(calls)))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(sum(admitted))


def wait_for_the_lock(store: LocalBuckets, released: Any, out: Any) -> None:
    """In a child forked while a parent thread holds ``store``'s locks: a decision must wait
    on the file lock (time out: the parent still holds it), not on the inherited thread lock
    (that would hang), then pass once the parent released it."""
    bucket = request_bucket("fork", 10)
    try:
        store.take([bucket], T0)
        out.put("not locked")
    except BackendError as exc:
        out.put(str(exc))
    released.wait()
    out.put(store.take([bucket], T0).tokens)


def grow(path: str, count: int) -> None:
    """Create ``count`` buckets in the store at ``path`` (its table grows, in another file)."""
    buckets = LocalBuckets(Path(path))
    for i in range(count):
        buckets.take([request_bucket(f"grow-{i}", 5)], T0)
    buckets.close()
