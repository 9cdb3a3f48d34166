"""The store's exception and its once-only warnings."""

from __future__ import annotations

import logging
import sqlite3
import threading

from .._errors import HeliconeLiteError

__all__ = ["LOGGER", "Reporter", "StoreError", "is_busy"]

LOGGER = logging.getLogger("helicone_lite")

_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


class StoreError(HeliconeLiteError):
    """A store operation the caller asked for cannot be done (read-only query, store unusable)."""


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite's "database is locked/busy": worth retrying later."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _BUSY_CODES
    message = str(exc).lower()
    return "locked" in message or "busy" in message


class Reporter:
    """Logs each kind of problem once per store, so a broken disk does not flood the log.

    The message is logged outside any store lock: a logging handler that itself writes to the
    store must not deadlock.
    """

    def __init__(self, logger: logging.Logger = LOGGER) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def warn_once(self, key: str, message: str, *args: object) -> bool:
        """Log ``message % args`` at warning level unless ``key`` was reported before."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
        self._logger.warning(message, *args)
        return True

    def reported(self, key: str) -> bool:
        with self._lock:
            return key in self._seen

    def after_fork_child(self) -> None:
        # Another thread may have held the lock at fork time; it does not exist in the child.
        self._lock = threading.Lock()
