"""Retention and deletion: old rows, one user's data, one session; compaction.

Every function takes a :class:`~helicone_lite.store.Store` and writes through
``store.transaction()`` (``BEGIN IMMEDIATE``), in batches of ``batch`` requests so that the
background writer is never blocked for long. A request is removed with everything that
refers to it: its properties, attempts, scores and feedback (and, through the schema's
triggers, its ``property_facts``, ``score_facts`` and ``score_property_facts`` rows, so the
reports stay exact), then the scores of sessions left without any request. ``prune`` also
removes alert firings older than the cutoff. On SQLite the deleting connection checkpoints
once, with a larger page cache and ``secure_delete`` on, and empties the WAL at the end
(``_deletion_io.py``: the deleted bytes are then gone from the file).

``count_*`` say what the matching ``prune``/``delete_*`` would remove (for a confirmation).
Cache entries live outside the store: ``delete_*`` return the removed request ids so that a
caller can forget the cached answers they produced (``CacheBackend.forget``).

:class:`RetentionTimer` runs ``prune`` for ``Client(retention_days=N)``: a daemon thread owned
by the client's runtime, once at start and then every ``every`` seconds; ``stop()`` ends it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._threads import background_thread
from ._deletion_batch import Matching, Rollups, next_batch
from ._deletion_io import deleting
from ._errors import StoreError
from ._facts_schema import rebuild_facts
from ._rollup_batch import rebuild
from ._rollup_scores import rebuild_score_rollup
from ._rollup_sessions import rebuild_sessions
from ._rollup_user_scores import rebuild_user_scores
from ._schema import (
    FACTS_BY_WRITER_VERSION,
    PROPERTY_MODELS_VERSION,
    PROPERTY_USERS_VERSION,
    SCORE_ROLLUP_VERSION,
    SESSION_ROLLUP_VERSION,
    STATUS_ROLLUP_VERSION,
    USER_SCORES_VERSION,
)
from ._time import iso_from_epoch

if TYPE_CHECKING:
    from ._store import Store

__all__ = [
    "Removed",
    "RetentionTimer",
    "count_prune",
    "count_requests",
    "delete_requests",
    "prune",
    "rebuild_rollups",
    "vacuum",
]

_BATCHED_VERSION = 6  # rollup_control, guarded delete triggers


@dataclass
class Removed:
    """What a deletion removed (or would remove): rows per table, and the request ids."""

    requests: int = 0
    properties: int = 0
    attempts: int = 0
    scores: int = 0
    session_scores: int = 0
    alert_events: int = 0
    request_ids: list[str] = field(default_factory=list, repr=False)
    #: the final checkpoint emptied the WAL: the deleted rows are physically gone from the
    #: file (``_deletion_io.py``); False while another connection was reading; None on
    #: PostgreSQL
    wal_emptied: bool | None = field(default=None, repr=False)

    def counts(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "properties": self.properties,
            "attempts": self.attempts,
            "scores": self.scores,
            "session_scores": self.session_scores,
            "alert_events": self.alert_events,
        }


def cutoff(days: float, now: float) -> str:
    """The ISO time ``days`` before ``now``: rows created before it are old."""
    return iso_from_epoch(now - days * 86400.0)


def _where(user: str | None, session: str | None, before: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for sql, value in (
        ("user_id = ?", user),
        ("session_id = ?", session),
        ("created_at < ?", before),
    ):
        if value is not None:
            clauses.append(sql)
            params.append(value)
    if not clauses:
        raise ValueError("a deletion needs a user, a session or a cutoff")
    return " AND ".join(clauses), params


def count_requests(
    store: Store,
    *,
    user: str | None = None,
    session: str | None = None,
    before: str | None = None,
    requests_only: bool = False,
) -> Removed:
    """What ``delete_requests`` with the same arguments would remove (read only);
    ``requests_only``: count the requests alone (one index range: what a progress line
    needs; the other counts look up every matching request's rows, 40-120 ms for 10,000)."""
    where, params = _where(user, session, before)
    matching = f"SELECT id FROM requests WHERE {where}"
    out = Removed()
    out.requests = _one(store, f"SELECT count(*) FROM ({matching})", params)
    if requests_only:
        return out
    out.properties = _one(
        store, f"SELECT count(*) FROM request_properties WHERE request_id IN ({matching})", params
    )
    out.attempts = _one(
        store, f"SELECT count(*) FROM attempts WHERE request_id IN ({matching})", params
    )
    out.scores = _one(
        store, f"SELECT count(*) FROM scores WHERE request_id IN ({matching})", params
    )
    out.session_scores = _one(
        store,
        f"SELECT count(*) FROM session_scores s WHERE s.session_id IN "
        f"(SELECT session_id FROM requests WHERE {where}) AND NOT EXISTS "
        f"(SELECT 1 FROM requests r WHERE r.session_id = s.session_id AND NOT ({where}))",
        [*params, *params],
    )
    return out


def count_prune(store: Store, before: str, *, requests_only: bool = False) -> Removed:
    out = count_requests(store, before=before, requests_only=requests_only)
    if requests_only:
        return out
    out.alert_events = _one(store, "SELECT count(*) FROM alert_events WHERE fired_at < ?", [before])
    return out


def _one(store: Store, sql: str, params: list[Any]) -> int:
    row = store.query(sql, params)[0]
    return int(next(iter(row.values())) or 0)


def delete_requests(
    store: Store,
    *,
    user: str | None = None,
    session: str | None = None,
    before: str | None = None,
    batch: int = 2000,
    keep_ids: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Removed:
    """Delete the matching requests with everything that refers to them; see the module.
    The removed ids are in ``request_ids`` (unless ``keep_ids=False``); ``progress`` is
    called after each batch with the number of requests removed so far."""
    if batch < 1:
        raise ValueError("batch must be >= 1")
    where, params = _where(user, session, before)
    out = Removed()
    # SQLite runs triggers row by row; from v6 the deletion does their work per batch
    # (PostgreSQL's rollup and fact triggers are per statement already)
    version = store.schema_version or 0
    batched = store.engine == "sqlite" and version >= _BATCHED_VERSION
    kept = Rollups(
        batched=batched,
        status=version >= STATUS_ROLLUP_VERSION,
        recount=batched and version >= SESSION_ROLLUP_VERSION,
        property_models=batched and version >= PROPERTY_MODELS_VERSION,
        # (SQLite has no rollup_property_users; PostgreSQL's statement triggers keep it)
        property_users=False,
        whole=batched and user is None and session is None,
    )
    prune_only = before if user is None and session is None else None
    matching = Matching(where, params, batch, prune_only)
    with deleting(store) as (between, settled):
        while next_batch(store, matching, out, keep_ids, kept):
            if progress is not None:
                progress(out.requests)
            between()
    out.wal_emptied = settled.wal_emptied
    return out


def prune(
    store: Store,
    before: str,
    *,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> Removed:
    """Delete requests created before ``before`` (ISO time) and older alert firings."""
    out = delete_requests(store, before=before, batch=batch, keep_ids=False, progress=progress)
    with store.transaction() as conn:
        out.alert_events = conn.execute(
            "DELETE FROM alert_events WHERE fired_at < ?", [before]
        ).rowcount
    return out


def rebuild_rollups(store: Store) -> None:
    """Count the hourly rollups and the session rollup again from ``requests``, and fill
    the fact tables (``property_facts``, ``score_facts``, ``score_property_facts``) again,
    in one transaction.

    Never needed for what the writer logs, prunes, ``reprice`` and deletions; needed after
    rows were inserted into ``requests`` or ``request_properties`` by hand on SQLite (schema
    v7 dropped the insert triggers that counted them, v11 the one that filled
    ``property_facts``; docs/schema.md)."""
    version = store.schema_version or 0
    script = rebuild(
        status=version >= STATUS_ROLLUP_VERSION,
        property_models=version >= PROPERTY_MODELS_VERSION,
        property_users=store.engine != "sqlite" and version >= PROPERTY_USERS_VERSION,
    )
    statements = [s for s in script.split(";\n") if s.strip()]
    with store.transaction() as conn:
        facts = 3 if store.engine == "sqlite" else FACTS_BY_WRITER_VERSION  # (views before)
        if (store.schema_version or 0) >= facts:
            statements += rebuild_facts()
        if (store.schema_version or 0) >= SESSION_ROLLUP_VERSION:
            statements += rebuild_sessions()
        if (store.schema_version or 0) >= SCORE_ROLLUP_VERSION:
            statements += rebuild_score_rollup()  # (after the facts it is counted from)
        if store.engine != "sqlite" and version >= USER_SCORES_VERSION:
            statements += rebuild_user_scores()  # (PostgreSQL's only)
        for statement in statements:
            conn.execute(statement)


def vacuum(store: Store, page_size: int | None = None) -> tuple[int, int]:
    """Compact the file (``VACUUM``, then a WAL checkpoint); (bytes before, bytes after).

    ``page_size``: rewrite the file with pages of that size (a WAL file keeps its page size
    through a plain ``VACUUM``: the file leaves WAL mode for it, which needs every other
    connection to the file closed; StoreError if one is open)."""
    before = _file_bytes(store)
    conn = store.connect()
    if page_size is None:
        conn.execute("VACUUM")
    else:
        _repage(conn, page_size)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return before, _file_bytes(store)


def _repage(conn: Any, page_size: int) -> None:
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        raise ValueError(f"page size {page_size}: a power of two from 512 to 65536")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        mode = str(exc)
    if str(mode).lower() != "delete":  # (WAL mode is left only with the file to itself)
        raise StoreError(
            f"cannot change the page size while another process uses the store ({mode}):"
            " stop the applications and the dashboard using it, then run this again"
        )
    try:
        conn.execute(f"PRAGMA page_size = {int(page_size)}")
        conn.execute("VACUUM")
    finally:
        conn.execute("PRAGMA journal_mode = WAL")


def _file_bytes(store: Store) -> int:
    total = 0
    for suffix in ("", "-wal"):
        part = store.path.with_name(store.path.name + suffix)
        if part.exists():
            total += part.stat().st_size
    return total


class RetentionTimer:
    """Prunes rows older than ``days`` from ``store``: at start, then every ``every`` seconds.

    A daemon thread (not inherited by forked children). Failures (a locked store) are
    reported through ``on_error`` and retried at the next tick; they never reach a call.
    ``passes`` counts completed prunes; ``wait_for(n, timeout)`` blocks until there were
    ``n`` (for tests, which then need no sleeps).
    """

    def __init__(
        self,
        store: Store,
        days: float,
        *,
        clock: Callable[[], float],
        every: float = 3600.0,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._store, self._days, self._clock, self._every = store, days, clock, every
        self._on_error = on_error
        self._stop = threading.Event()
        self._done = threading.Condition()
        self.passes = 0
        self.removed = Removed()
        self._thread = background_thread(self._run, "helicone-lite-retention")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                removed = prune(self._store, cutoff(self._days, self._clock()))
            except Exception as exc:  # a locked or closed store: try again next time
                if self._on_error is not None:
                    self._on_error(exc)
            else:
                self.removed.requests += removed.requests
            with self._done:
                self.passes += 1
                self._done.notify_all()
            self._stop.wait(self._every)

    def wait_for(self, passes: int, timeout: float | None = None) -> bool:
        with self._done:
            return self._done.wait_for(lambda: self.passes >= passes, timeout)

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
