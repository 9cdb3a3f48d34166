"""``Helicone-Request-Id`` values are used once: a reused id is refused, never an overwrite.

The request log's primary key is the request id, and rows are written with ``INSERT OR
REPLACE``, so a second call with the same ``Helicone-Request-Id`` used to replace the first
call's row (5 calls, 1 row: a 500 vanished). The rule now (docs/security.md):

* a call whose ``Helicone-Request-Id`` was already used by any client on the same home (any
  process), or is already in the store, raises :class:`OptionsError` before anything is sent;
* ids are claimed in ``<home>/request-ids.db`` (0600) with one ``INSERT`` — atomic across threads
  and processes — when the call is built; claims older than ``KEEP_SECONDS`` are pruned (the store
  check still covers them);
* if the claim file cannot be used, the call goes ahead (observability never fails a call) and
  the failure is logged once.

Only calls that give their own id pay for this (one small SQLite write); generated ids are
fresh UUIDs and are not claimed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from ._errors import OptionsError
from ._files import private_file

__all__ = ["RequestIds"]

_log = logging.getLogger("helicone_lite")
KEEP_SECONDS = 30 * 24 * 3600
_PRUNE_EVERY = 1024


class RequestIds:
    """Claims of user-given request ids, shared by every process using one home."""

    def __init__(
        self,
        path: Path,
        *,
        in_store: Callable[[str], bool] | None = None,
        clock: Callable[[], float],
    ) -> None:
        self.path = Path(path)
        self._in_store = in_store
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._claims = 0
        self._failed = False

    def claim(self, request_id: str, option: str = "Helicone-Request-Id") -> None:
        """Claim ``request_id`` for one call; :class:`OptionsError` if it was used before."""
        try:
            fresh = self._insert(request_id)
        except (sqlite3.Error, OSError) as exc:
            self._report(exc)
            return
        if fresh and self._in_store is not None:
            with contextlib.suppress(Exception):  # the store is observability: unreadable
                fresh = not self._in_store(request_id)  # means unknown, so the call goes ahead
        if not fresh:
            raise OptionsError(
                option,
                request_id,
                "an id not used before: a request id names one call (omit it for a fresh one)",
            )

    def _insert(self, request_id: str) -> bool:
        conn = self._connect()
        now = self._clock()
        with self._lock:
            self._claims += 1
            prune = self._claims % _PRUNE_EVERY == 0
        if prune:
            conn.execute("DELETE FROM claims WHERE at < ?", (now - KEEP_SECONDS,))
        cursor = conn.execute(
            "INSERT OR IGNORE INTO claims (id, at) VALUES (?, ?)", (request_id, now)
        )
        return cursor.rowcount == 1

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        private_file(self.path)
        conn = sqlite3.connect(
            self.path, timeout=2.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID"
        )
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _report(self, exc: BaseException) -> None:
        with self._lock:
            first, self._failed = not self._failed, True
        if first:
            _log.warning(
                "helicone_lite: cannot check Helicone-Request-Id reuse in %s (%s); calls go ahead",
                self.path,
                exc,
            )
