"""How a deletion (``prune``, ``delete --user``/``--session``) writes on SQLite.

A deletion dirties pages all over the file: the time-ordered b-trees of the rows it removes,
and, for each row, a leaf of every b-tree not ordered by time (``idx_requests_user`` was the
worst until schema v19 keyed it by the day after the user: a prune of 11,200 requests of
1,000,000 dirtied ~7,500 of its leaves, now ~1,550). What it costs
is mostly the page traffic between SQLite and the kernel (system time), not the b-tree work:
with the store's defaults (2 MiB page cache, a checkpoint every 1,000 WAL pages) each page
is read, spilled from the cache, written to the WAL at each batch's commit and copied to the
file by every checkpoint after it was touched again. For the duration of the deletion, on the
deleting connection only:

* a larger page cache (:data:`CACHE_KIB`), so that a batch's pages are read and written
  once;
* no automatic checkpoint; between batches the WAL is checkpointed (``PASSIVE``) once it
  holds more than :data:`WAL_LIMIT_BYTES`, so it stays bounded for a deletion of any size;
* ``secure_delete`` on (the default of Debian's and Ubuntu's SQLite, not of every build):
  the bytes of deleted rows and freed pages are overwritten with zeros;
* at the end one ``TRUNCATE`` checkpoint that does not wait (busy timeout 0) copies every
  page once and empties the WAL: when it succeeds the deleted data is
  physically gone from the file and its WAL. It fails only while another connection reads an
  older snapshot; the data then stays in the WAL until the next complete checkpoint
  (``helicone-lite vacuum`` does one). :func:`deleting` reports which.

The previous settings are restored afterwards. PostgreSQL stores are left as they are.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._store import Store

__all__ = ["CACHE_KIB", "WAL_LIMIT_BYTES", "Settled", "deleting"]

#: the deleting connection's page cache (SQLite's default: 2 MiB); freed when restored
CACHE_KIB = 64 * 1024
#: between batches, a WAL larger than this is checkpointed
WAL_LIMIT_BYTES = 64 << 20

_SAVED = ("cache_size", "wal_autocheckpoint", "secure_delete", "busy_timeout")


class Settled:
    """Set by :func:`deleting` on exit: ``wal_emptied`` is True when the final checkpoint
    emptied the WAL, False while another connection was reading (or inside an enclosing
    transaction), None on PostgreSQL (no such step: its ``VACUUM`` reclaims dead rows)."""

    wal_emptied: bool | None = None


@contextmanager
def deleting(store: Store) -> Iterator[tuple[Callable[[], None], Settled]]:
    """The deletion's connection settings (see the module) for the ``with`` block; yields
    (a function to call between batches, outside a transaction; what the end achieved)."""
    settled = Settled()
    if store.engine != "sqlite" or store.readonly:
        yield (lambda: None), settled
        return
    conn = store.connect()
    wal = f"{store.path}-wal"
    saved = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in _SAVED}
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA secure_delete = ON")

    def between() -> None:
        if _size(wal) > WAL_LIMIT_BYTES:
            with suppress(sqlite3.Error):  # (in an enclosing transaction: at the end)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    try:
        yield between, settled
        settled.wal_emptied = _empty_wal(conn)
    finally:
        for name, value in saved.items():
            fast = name == "secure_delete" and int(value) == 2  # (2 reads back as ON)
            conn.execute(f"PRAGMA {name} = {'FAST' if fast else int(value)}")


def _empty_wal(conn: Any) -> bool:
    """Copy the WAL into the file and truncate it, without waiting: when a writer or an older
    reader is in the way, SQLite copies what it can (as ``PASSIVE``) and says busy."""
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.Error:  # the rows are deleted all the same; the WAL waits for later
        return False
    return int(busy) == 0


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
