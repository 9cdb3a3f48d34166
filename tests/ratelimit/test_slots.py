"""The local slot-file store on real files and real processes: exact across processes (fork and
spawn), fork with a thread holding the lock, torn writes, corrupt or truncated files, growth
under another process's mapping, pruning, hostile names, and the import of an old
``ratelimit.db``."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from helicone_lite.options._policy import parse_policies
from helicone_lite.ratelimit import BackendError, LocalBuckets, local_buckets
from helicone_lite.ratelimit._bucket import Bucket
from helicone_lite.ratelimit._slotfile import HEADER_SIZE, SLOT_SIZE
from tests.processes import forkserver, process

from ._slot_workers import T0, grow, hammer, request_bucket, wait_for_the_lock


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "ratelimit.slots"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()[:16]


def slot_offset(path: Path, key: str) -> int:
    data = path.read_bytes()
    at = data.index(digest(key), HEADER_SIZE) - 8
    assert (at - HEADER_SIZE) % SLOT_SIZE == 0
    return at


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_processes_never_take_more_than_the_capacity(path: Path, method: str) -> None:
    parent = LocalBuckets(path)
    parent.take([request_bucket("warm-up", 5)], T0)  # open and mapped before the fork
    ctx = multiprocessing.get_context(method)
    go, out = ctx.Event(), ctx.Queue()
    store: LocalBuckets | str = parent if method == "fork" else str(path)
    procs = [ctx.Process(target=hammer, args=(store, 3, 10, go, out)) for _ in range(4)]
    for p in procs:
        p.start()
    go.set()
    admitted = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert admitted == 50  # 120 attempts on 50 tokens
    [race] = [s for s in parent.states(T0) if s.key == "race"]
    assert race.tokens == 0
    parent.close()


def test_a_thread_holding_the_lock_at_fork_does_not_hang_the_child(path: Path) -> None:
    store = LocalBuckets(path, lock_timeout=0.2)
    store.take([request_bucket("fork", 10)], T0)
    ctx = multiprocessing.get_context("fork")
    released, out, held, done = ctx.Event(), ctx.Queue(), threading.Event(), threading.Event()

    def hold() -> None:  # a parent thread inside a decision, holding both locks
        store._acquire()
        held.set()
        done.wait()
        store._release()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    child = ctx.Process(target=wait_for_the_lock, args=(store, released, out))
    child.start()
    assert "locked for more than 0.2 s" in out.get(timeout=60)  # waited on the file lock
    done.set()
    holder.join()
    released.set()
    assert out.get(timeout=60) == (8,)  # then decided, on the shared file
    child.join(timeout=30)
    assert store.take([request_bucket("fork", 10)], T0).tokens == (7,)
    store.close()


def colliding_keys(count: int) -> list[str]:
    """``count`` keys whose digests start probing at the same slot of a 64-slot table."""
    found: dict[int, list[str]] = {}
    for i in range(10_000):
        key = f"k{i}"
        group = found.setdefault(int.from_bytes(digest(key)[:8], "little") & 63, [])
        group.append(key)
        if len(group) == count:
            return group
    raise AssertionError("no collision")


def test_a_torn_slot_is_a_full_new_bucket_and_probing_goes_past_it(path: Path) -> None:
    first, second = colliding_keys(2)
    store = LocalBuckets(path)
    for key in (first, first, first, second, second):
        store.take([request_bucket(key, 10)], T0)
    store.close()
    at = slot_offset(path, first)
    assert slot_offset(path, second) == at + SLOT_SIZE  # the same probe chain
    with path.open("r+b") as f:  # a writer killed halfway through the slot: tokens half new
        f.seek(at + 40)
        f.write(b"\xff" * 12)
    store = LocalBuckets(path)
    assert store.take([request_bucket(first, 10)], T0).tokens == (9,)  # full and new
    assert store.take([request_bucket(second, 10)], T0).tokens == (7,)  # found past it
    assert sorted(s.tokens for s in store.states(T0)) == [7, 9]
    store.close()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b"NOTSLOTS" + b[8:], "bad magic"),
        (lambda b: b[:8] + b"\x09\x00\x00\x00" + b[12:], "unsupported slot file version 9"),
        (lambda b: b[:12] + b"\x03\x00\x00\x00" + b[16:], r"corrupt header \(slot count 3\)"),
        (lambda b: b[: HEADER_SIZE + 10 * SLOT_SIZE], "truncated"),
        (lambda b: b[:5], "bad magic"),
        (lambda b: b"", "bad magic"),
    ],
)
def test_a_corrupt_file_is_a_backend_error_naming_it(
    path: Path, damage: object, message: str
) -> None:
    store = LocalBuckets(path)
    store.take([request_bucket("k", 10)], T0)
    store.close()
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    store = LocalBuckets(path)
    for _ in range(2):  # never a crash, never a half-open store
        with pytest.raises(BackendError, match=message) as info:
            store.take([request_bucket("k", 10)], T0)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(BackendError, match=message):
        store.states(T0)
    store.close()


def test_a_file_shrunk_under_a_live_mapping_is_an_error_not_a_fault(path: Path) -> None:
    store = LocalBuckets(path)
    store.take([request_bucket("k", 10)], T0)
    with path.open("r+b") as f:
        f.truncate(HEADER_SIZE + 3 * SLOT_SIZE)
    with pytest.raises(BackendError, match="truncated while in use"):
        store.take([request_bucket("k", 10)], T0)
    store.close()


def test_growth_while_another_process_holds_the_old_mapping(path: Path) -> None:
    store = LocalBuckets(path)
    assert store.take([request_bucket("kept", 10)], T0).tokens == (9,)
    before = path.stat().st_ino
    ctx = forkserver()
    child = process(ctx, grow, (str(path), 200))  # 64 slots, rebuilt twice into new files
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    assert path.stat().st_ino != before
    # this store still maps the old, retired file: it notices, re-opens, and sees the new one
    assert store.take([request_bucket("kept", 10)], T0).tokens == (8,)
    assert len(store.states(T0)) == 201
    assert not list(path.parent.glob("*.tmp"))
    store.close()


def test_full_buckets_are_pruned_and_dead_names_compacted(path: Path) -> None:
    store = LocalBuckets(path)
    for i in range(3000):  # 3000 buckets, each full again an hour later
        store.take([request_bucket(f"user-{i}-{'x' * 60}", 1)], T0)
    names = path.with_suffix(".names")
    big = names.stat().st_size
    assert len(store.states(0.0)) == 3000  # stored, live or not
    keeper = request_bucket("keeper", 10)
    for _ in range(8192):  # one scan per max(512, table size) decisions
        store.take([keeper], T0 + 4000)
        store.adjust([(keeper, -1.0)], T0 + 4000)
    assert [s.key for s in store.states(0.0)] == ["keeper"]
    assert names.stat().st_size < big / 100
    store.take([keeper], T0 + 4000)
    [kept] = store.states(T0 + 4000)  # named still (its name survived the compaction)
    assert (kept.policy, kept.segment) == ("10;w=3600", "global")
    store.close()


def test_names_are_stored_verbatim_and_never_evaluated(path: Path) -> None:
    store = LocalBuckets(path)
    hostile = 'alice"]\n["00", "x", "y", "z"]\x1b[31m'
    b = request_bucket(f"10;w=60;s=user|{hostile}", 10)
    store.take([b], T0)
    [state] = store.states(T0)
    assert state.key == b.key and state.segment == "global"
    store.close()


LEGACY_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    key       TEXT PRIMARY KEY,
    policy    TEXT NOT NULL,
    segment   TEXT NOT NULL,
    capacity  REAL NOT NULL,
    window_s  INTEGER NOT NULL,
    tokens    REAL NOT NULL,
    updated   REAL NOT NULL,
    full_at   REAL NOT NULL
) WITHOUT ROWID
"""  # the SQLite store's schema (helicone_lite before 2026-12-07, user_version 1)


def test_an_old_ratelimit_db_is_imported_once_read_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    legacy = home / "ratelimit.db"
    with sqlite3.connect(legacy) as conn:
        conn.execute(LEGACY_SCHEMA)
        conn.execute("PRAGMA user_version=1")
        rows = [
            ("100;w=3600;s=user|alice", "100;w=3600;s=user", "user=alice", 100, 3600, 0.5, T0),
            ("5;w=60", "5;w=60", "global", 5, 60, 4, T0 - 1000),  # full again by now
            ("bad", "p", "s", "ten", 60, 1, T0),  # not a number: skipped
        ]
        conn.executemany(
            "INSERT INTO buckets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r, r[6] + (r[3] - r[5]) * r[4] / 100 if r[3] != "ten" else 0) for r in rows],
        )
    conn.close()
    old = legacy.read_bytes()
    store = local_buckets(home)
    alice = request_bucket("100;w=3600;s=user|alice", 100)
    # at her limit before the upgrade, still at it after: 0.5 + 36 s * 100/3600 = 1.5 tokens
    assert store.take([alice], T0 + 36).tokens == pytest.approx((0.5,))
    assert not store.take([alice], T0 + 36).admitted
    [state] = store.states(T0 + 36)
    assert (state.policy, state.segment) == ("100;w=3600;s=user", "user=alice")
    assert legacy.read_bytes() == old  # read, never written
    store.close()
    legacy.unlink()  # imported once: the slot file is the store from now on
    again = local_buckets(home)
    assert not again.take([alice], T0 + 36).admitted
    again.close()


def test_an_unreadable_old_ratelimit_db_is_a_backend_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "ratelimit.db").write_bytes(b"not a database, not at all" * 100)
    store = local_buckets(home)
    with pytest.raises(BackendError, match=r"cannot import .*ratelimit\.db"):
        store.take([request_bucket("k", 10)], T0)
    assert not (home / "ratelimit.slots").exists()
    store.close()


def test_reset_takes_the_forgotten_buckets_names_out_of_the_names_file(path: Path) -> None:
    # a privacy deletion (delete --user) must not leave the user's id in ratelimit.names
    store = LocalBuckets(path)
    user = Bucket.of(parse_policies("10;w=3600;s=user")[0], ("user", "alice-42"), "", 1.0)
    other = Bucket.of(parse_policies("10;w=3600;s=user")[0], ("user", "bob-7"), "", 1.0)
    store.take([user], T0)
    store.take([other], T0)
    store.close()
    store = LocalBuckets(path)
    full = store.take([user], T0 + 7200)  # full again, then taken from
    store.reset(user.policy, user.segment)
    assert full.admitted
    assert b"alice-42" not in store.names_path.read_bytes()
    assert b"bob-7" in store.names_path.read_bytes()
    assert [s.segment for s in store.states(T0)] == ["user=bob-7"]
    store.take([user], T0 + 7300)  # a new bucket for the same key is named again
    assert b"alice-42" in store.names_path.read_bytes()
    store.close()
