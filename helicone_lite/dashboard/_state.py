"""What one dashboard app holds: where the store is, and the two ways it opens it.

Pages read through a ``Store(readonly=True)`` (SQLite: ``mode=ro``, ``query_only``, an
authorizer; PostgreSQL: connections whose transactions default to read-only, each page query in
a ``READ ONLY`` transaction): a view cannot write, whatever its SQL. The few actions (feedback, scores, prompt versions,
deploys, rollbacks) go through a read-write store and the same functions as the client and
the CLI. Neither is opened before the file exists: a dashboard started before the first
logged call shows an empty state naming the file, and never creates it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..prompts import PromptRegistry
from ..reports import Reports
from ..store import Store
from ..store._engine import describe_url

__all__ = ["Dashboard"]


class Dashboard:
    """The state of one app: paths, lazily opened stores, the CSRF token, settings."""

    def __init__(
        self,
        home: Path,
        db_path: Path | str,
        *,
        clock: Callable[[], float] = time.time,
        query_timeout: float = 5.0,
        query_rows: int = 1000,
        poll_seconds: float = 5.0,
    ) -> None:
        self.home = home
        #: the store: a SQLite file, or a PostgreSQL URL (a str)
        self.location = db_path
        #: what pages show for it (a URL without its password)
        self.where = describe_url(db_path) if isinstance(db_path, str) else str(db_path)
        self.clock = clock
        self.query_timeout = query_timeout
        self.query_rows = query_rows
        self.poll_seconds = poll_seconds
        self.csrf = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._view: Store | None = None
        self._writer: Store | None = None

    def exists(self) -> bool:
        """True once the store file exists (and is not empty); always for a database URL
        (an unreachable server is a store error on the page, not an empty state)."""
        if isinstance(self.location, str):
            return True
        try:
            return self.location.is_file() and self.location.stat().st_size > 0
        except OSError:
            return False

    def writer(self) -> Store:
        """The read-write store (opening it migrates an older file once)."""
        with self._lock:
            if self._writer is None:
                self._writer = Store(self.location)
            return self._writer

    def view(self) -> Store:
        """The read-only store every page reads."""
        if self._view is None:
            self.writer()  # a file from an older release is migrated before it is read
            with self._lock:
                if self._view is None:
                    self._view = Store(self.location, readonly=True)
        return self._view

    def reports(self) -> Reports:
        return Reports(self.view(), clock=self.clock)

    def prompts(self) -> PromptRegistry:
        """The registry over the read-only store (listing, history, stats)."""
        return PromptRegistry(self.view(), clock=self.clock)

    def prompt_writer(self) -> PromptRegistry:
        """The registry over the read-write store (create, update, deploy, rollback)."""
        return PromptRegistry(self.writer(), clock=self.clock)

    def close(self) -> None:
        with self._lock:
            for store in (self._view, self._writer):
                if store is not None:
                    store.close()
            self._view = self._writer = None
