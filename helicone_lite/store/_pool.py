"""One connection per thread, re-opened after fork (diskcache's discipline)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

__all__ = ["ThreadConnections"]


class _Closeable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closeable)  # sqlite3.Connection, or the PostgreSQL engine's


class _Holder(Generic[C]):
    """Owns one thread's connection; weak-referenceable, unlike sqlite3.Connection."""

    __slots__ = ("__weakref__", "conn")

    def __init__(self, conn: C) -> None:
        self.conn = conn


class ThreadConnections(Generic[C]):
    """Hands each thread its own connection, made by ``factory`` on first use.

    A thread's connection is closed when the thread ends (its thread-local holder is freed) or
    on ``close_all()``. Fork: SQLite forbids using a connection in a child process, so the
    child starts with no connections; the ones it inherited are kept referenced (never closed
    nor garbage-collected there) because closing them in the child could disturb the parent's
    locks and WAL.
    """

    def __init__(self, factory: Callable[[], C]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._local = threading.local()
        self._holders: weakref.WeakSet[_Holder[C]] = weakref.WeakSet()
        self._fork_snapshot: list[_Holder[C]] = []
        self._inherited: list[_Holder[C]] = []

    def get(self) -> C:
        holder: _Holder[C] | None = getattr(self._local, "holder", None)
        if holder is None:
            holder = _Holder(self._factory())
            self._local.holder = holder
            with self._lock:
                self._holders.add(holder)
        return holder.conn

    def discard(self) -> None:
        """Close and forget this thread's connection (e.g. after it broke)."""
        holder: _Holder[C] | None = getattr(self._local, "holder", None)
        if holder is not None:
            self._local.holder = None
            with self._lock:
                self._holders.discard(holder)
            _close_quietly(holder.conn)

    def close_all(self) -> None:
        """Close every thread's connection; threads get new ones on their next ``get()``."""
        with self._lock:
            holders = list(self._holders)
            self._holders = weakref.WeakSet()
            self._local = threading.local()
        for holder in holders:
            _close_quietly(holder.conn)

    # --- fork hooks (see Store) ---

    def before_fork(self) -> None:
        # Strong references taken in the parent survive CPython's cleanup of the other
        # threads' locals in the child, which would otherwise close their connections there.
        with self._lock:
            self._fork_snapshot = list(self._holders)

    def after_fork_parent(self) -> None:
        self._fork_snapshot = []

    def after_fork_child(self) -> None:
        self._inherited.extend(self._fork_snapshot)
        self._fork_snapshot = []
        current = getattr(self._local, "holder", None)
        if current is not None:
            self._inherited.append(current)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._holders = weakref.WeakSet()


def _close_quietly(conn: _Closeable) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.close()
