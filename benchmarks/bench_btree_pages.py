"""Pages a prune and a writer batch dirty, per b-tree, on a copy of a big store (exact counts).

Works on ``STORE`` itself: give it a copy (it deletes rows). One connection with
``wal_autocheckpoint = 0`` and a 1 GB page cache (each page reaches the WAL once per commit)
runs, after the optional ``--ddl`` (e.g. an index redesign to try without a migration):

1. a prune-like transaction: the ``--rows`` oldest requests' scores and properties, then the
   requests (the fact and rollup triggers fire as in ``helicone-lite prune``);
2. two writer-like transactions of 500 ``INSERT … SELECT`` copies of existing rows (new ids,
   ``created_at`` now): the newest 500 rows (``--batch recent``) or the newest row of 500
   distinct users (``--batch users``, one user per row as ``bench_realrows.py`` writes).

After each commit the WAL's frame headers are read and each page is mapped to its b-tree
with ``dbstat``: the counts do not depend on the machine's load.

    cp /tmp/cli1m.db /tmp/copy.db && python benchmarks/bench_btree_pages.py /tmp/copy.db
    python benchmarks/bench_btree_pages.py /tmp/copy.db --real   # the library's own prune
    python benchmarks/bench_btree_pages.py /tmp/copy.db --user-rows 10000   # a user instead
    python benchmarks/bench_btree_pages.py /tmp/copy.db --all --batch users  # all on one copy
    python benchmarks/bench_btree_pages.py /tmp/copy.db --batch users --ddl "DROP INDEX ...; CREATE INDEX ..."
"""

from __future__ import annotations

import argparse
import sqlite3
import struct
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def wal_pages(wal: Path) -> list[int]:
    """The page number of every frame in ``wal`` (in order; repeats kept)."""
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return []
    size = struct.unpack(">I", data[8:12])[0]
    pages, offset = [], 32
    while offset + 24 + size <= len(data):
        pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
        offset += 24 + size
    return pages


def page_names(conn: sqlite3.Connection) -> dict[int, str]:
    """Every page's b-tree (a scan of the whole file: ~1 minute on 3 GB under load)."""
    return {int(page): str(name) for page, name in conn.execute("SELECT pageno, name FROM dbstat")}


def owners(
    conn: sqlite3.Connection, pages: set[int], names: dict[int, str] | None = None
) -> Counter[str]:
    """How many of ``pages`` each b-tree holds (freed or new pages: ``(new/free)``);
    ``names``: a mapping taken earlier (pages the file reused since count as new/free)."""
    names = page_names(conn) if names is None else names
    return Counter(names.get(page, "(new/free)") for page in pages)


def report(
    conn: sqlite3.Connection,
    wal: Path,
    label: str,
    rows: int,
    names: dict[int, str] | None = None,
    top: int = 10,
) -> None:
    frames = wal_pages(wal)
    print(f"{label}: {len(frames):,} frames, {len(frames) / rows:.2f} a row", flush=True)
    for name, count in owners(conn, set(frames), names).most_common(top):
        print(f"    {name:<32} {count:6,}  {count / rows:6.2f} a row")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def prune(conn: sqlite3.Connection, rows: int, user_rows: int = 0) -> tuple[int, str]:
    """Delete the ``rows`` oldest requests, or (``user_rows``) every request of the user whose
    count is nearest it, with their scores and properties (the triggers fire row by row);
    (requests deleted, what)."""
    if user_rows:
        user = conn.execute(
            "SELECT user_id FROM requests INDEXED BY idx_requests_user WHERE user_id IS NOT NULL "
            "GROUP BY user_id ORDER BY abs(count(*) - ?) LIMIT 1",
            (user_rows,),
        ).fetchone()[0]
        where, param, what = "user_id = ?", user, f"user {user}"
    else:
        where = "created_at < ?"
        param = conn.execute(
            "SELECT created_at FROM requests INDEXED BY idx_requests_created_at "
            "ORDER BY created_at LIMIT 1 OFFSET ?",
            (rows,),
        ).fetchone()[0]
        what = "prune-like delete"
    conn.execute("BEGIN")
    for table in ("scores", "request_properties"):
        conn.execute(
            f"DELETE FROM {table} WHERE request_id IN (SELECT id FROM requests WHERE {where})",
            (param,),
        )
    deleted = conn.execute(f"DELETE FROM requests WHERE {where}", (param,)).rowcount
    conn.execute("COMMIT")
    return int(deleted), what


def real_prune(path: Path, rows: int) -> None:
    """``--real``: the library's ``prune`` (its batches of 2,000, their per-batch recounts, its
    connection settings) on ``path``, while a second connection holds a read transaction
    open: no checkpoint can then reset the WAL, so every frame the prune wrote stays in it
    (a page rewritten by a later batch appears once per batch: ``frames``)."""
    from helicone_lite.store import Store
    from helicone_lite.store._retention import prune as library_prune

    wal = Path(f"{path}-wal")
    conn = sqlite3.connect(path, isolation_level=None)
    names = page_names(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cutoff = conn.execute(
        "SELECT created_at FROM requests INDEXED BY idx_requests_created_at "
        "ORDER BY created_at LIMIT 1 OFFSET ?",
        (rows,),
    ).fetchone()[0]
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM rollup_control").fetchall()  # (holds the snapshot)
    store = Store(path)
    began = time.process_time()
    removed = library_prune(store, str(cutoff))
    cpu = time.process_time() - began
    store.close()
    frames = wal_pages(wal)
    conn.execute("COMMIT")
    deleted = removed.requests
    print(
        f"library prune: {deleted:,} requests, {len(frames):,} frames "
        f"({len(frames) / deleted:.2f} a row), {len(set(frames)):,} distinct pages "
        f"({len(set(frames)) / deleted:.2f} a row); CPU {cpu:.2f} s (the tool's, not a timing)",
        flush=True,
    )
    every = Counter(names.get(page, "(new/free)") for page in frames)
    distinct = owners(conn, set(frames), names)
    print(f"    {'b-tree':<32} {'pages':>6} {'frames':>7}")
    for name, count in distinct.most_common(40):
        print(f"    {name:<32} {count:6,} {every[name]:7,}")
    conn.close()


def write_batch(conn: sqlite3.Connection, batch: str, round_: int) -> None:
    columns = [str(r[1]) for r in conn.execute("PRAGMA table_info(requests)")]
    values = {
        "id": f"'w{round_}-' || id",
        "created_at": "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    }
    select = ", ".join(values.get(c, c) for c in columns)
    if batch == "users":
        chosen = f"SELECT max(rowid) - {round_} FROM requests GROUP BY user_id LIMIT 500"
    else:
        chosen = f"SELECT rowid FROM requests ORDER BY rowid DESC LIMIT 500 OFFSET {1000 * round_}"
    conn.execute("BEGIN")
    conn.execute(
        f"INSERT INTO requests ({', '.join(columns)}) "
        f"SELECT {select} FROM requests WHERE rowid IN ({chosen})"
    )
    conn.execute("COMMIT")


def run_all(conn: sqlite3.Connection, wal: Path, rows: int, user_rows: int, batch: str) -> None:
    """``--all``: every step on one copy (one copy and one ``dbstat`` scan per variant)."""
    names = page_names(conn)
    deleted, what = prune(conn, rows)
    report(conn, wal, f"{what}: {deleted:,} requests (pages a request)", deleted, names, 14)
    deleted, what = prune(conn, 0, user_rows)
    report(conn, wal, f"{what}: {deleted:,} requests (pages a request)", deleted, names, 14)
    for round_ in range(2):
        write_batch(conn, batch, round_)
        report(conn, wal, f"writer-like batch {round_ + 1} of 500 ({batch})", 500, names, 14)
    write_batch(conn, "recent", 2)
    report(conn, wal, "writer-like batch of 500 (recent)", 500, names, 14)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a COPY of a store (rows are deleted)")
    parser.add_argument("--rows", type=int, default=11_200, help="requests the prune removes")
    parser.add_argument(
        "--user-rows", type=int, default=0, help="delete the user nearest this many requests"
    )
    parser.add_argument("--batch", choices=("recent", "users"), default="recent")
    parser.add_argument("--ddl", default="", help="SQL run first (an index to try)")
    parser.add_argument(
        "--real", action="store_true", help="the library's prune (see real_prune), alone"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="prune, then the --user-rows user (10,000 if unset), then two --batch batches "
        "and one recent batch, on the one copy; pages mapped to b-trees once, before",
    )
    args = parser.parse_args()
    if args.real:
        if args.ddl:
            ddl = sqlite3.connect(args.store, isolation_level=None)
            ddl.executescript(args.ddl)
            ddl.close()
        real_prune(args.store, args.rows)
        return
    wal = Path(f"{args.store}-wal")
    conn = sqlite3.connect(args.store, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA cache_size = -1000000")
    if args.ddl:
        began = time.process_time()
        conn.executescript(args.ddl)
        print(f"--ddl: {time.process_time() - began:.1f} s of CPU")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if args.all:
        run_all(conn, wal, args.rows, args.user_rows or 10_000, args.batch)
        conn.close()
        return
    deleted, what = prune(conn, args.rows, args.user_rows)
    report(conn, wal, f"{what}: {deleted:,} requests (pages a request)", deleted)
    for round_ in range(2):
        write_batch(conn, args.batch, round_)
        report(conn, wal, f"writer-like batch {round_ + 1} of 500 ({args.batch})", 500)
    conn.close()


if __name__ == "__main__":
    main()
