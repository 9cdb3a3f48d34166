"""One batch of a deletion (``_retention.delete_requests``), in its own transaction.

A batch is up to ``batch`` matching requests, deleted with everything that refers to them:
their properties, attempts and scores (and, through the schema's triggers or, on SQLite from
schema v6, the grouped statements of ``_rollup_schema.batched_delete``, their facts and
rollup figures), then the session rollup's rows of their sessions recounted and the scores
of sessions left without a request.

A prune's batch (a cutoff and nothing else, SQLite, batched) is the *oldest* ``batch``
requests before the cutoff, read in ``created_at`` order from its index: the rollup rows of
the hours it completes are removed whole instead of subtracted (:func:`hour_bound`,
``_rollup_whole.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._rollup_schema import batched_delete
from ._rollup_sessions import recount_sessions

if TYPE_CHECKING:
    from ._retention import Removed
    from ._store import Store

__all__ = ["Matching", "Rollups", "batch_end", "delete_batch", "hour_bound", "next_batch"]

_CHILDREN = (  # deleted before the request row (the fact triggers read it)
    ("scores", "request_id"),
    ("request_properties", "request_id"),
    ("attempts", "request_id"),
)


@dataclass(frozen=True, slots=True)
class Matching:
    """The requests a deletion removes: ``where`` (SQL on ``requests``) with ``params``,
    ``batch`` at a time; ``before``: set for a prune (the cutoff is the only condition)."""

    where: str
    params: list[Any]
    batch: int
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Rollups:
    """What the deletion keeps itself on this store (the rest is left to triggers).

    ``batched``: SQLite from v6, the delete triggers' work in grouped statements;
    ``status``: ``rollup_status`` (v14); ``recount``: the batch's sessions counted again in
    ``rollup_sessions`` (SQLite, whose delete trigger stands aside for a batched deletion);
    ``property_models`` / ``property_users``: subtract the batch from those splits (SQLite,
    batched: their delete triggers stand aside too); ``whole``: a prune's whole hours leave
    the hourly rollups by key (batched)."""

    batched: bool = False
    status: bool = True
    recount: bool = False
    property_models: bool = False
    property_users: bool = False
    whole: bool = False


def hour_bound(times: list[Any], batch: int, before: str) -> str | None:
    """The hour below which a prune's batch completes every hour (``_rollup_whole.py``):
    ``times`` are the batch's ``created_at`` in order; the hour of :func:`batch_end`, as the
    rollups spell it (``2026-12-05T20:00:00.000Z``); None when that is not a text of at
    least 13 characters (no hour is then known to be whole)."""
    return _hour(batch_end(times, batch, before))


def batch_end(times: list[Any], batch: int, before: str) -> str | None:
    """The time below which no request is left after a prune's batch: after a full batch
    its last time (every remaining request older than it is in the batch), after a shorter
    one the cutoff ``before``; None when it is not a text."""
    end = times[-1] if len(times) == batch else before
    return end if isinstance(end, str) else None


def _hour(end: str | None) -> str | None:
    if end is None or len(end) < 13:
        return None
    return end[:13] + ":00:00.000Z"


def _whole_part(rows: list[Any], bound: str | None) -> list[Any]:
    """A prune's batch ends at its bound's hour when it holds older rows too: the requests
    of that hour wait for the next batch, whose whole hours they then are (only the
    cutoff's own hour is subtracted request by request). ``rows`` are in ``created_at``
    order and every remaining request older than the last one is among them, so every
    request older than the bound is in the part kept: the bound is its end as well."""
    if bound is None:
        return rows
    older = 0
    while older < len(rows) and isinstance(rows[older][1], str) and rows[older][1] < bound:
        older += 1
    return rows[:older] if older else rows


def next_batch(
    store: Store, matching: Matching, out: Removed, keep_ids: bool, kept: Rollups
) -> bool:
    """Delete one batch in its own transaction; False when nothing matched any more."""
    whole = kept.whole and matching.before is not None
    order = " ORDER BY created_at" if whole else ""
    with store.transaction() as conn:
        rows = conn.execute(
            f"SELECT id, created_at FROM requests WHERE {matching.where}{order} LIMIT ?",
            [*matching.params, matching.batch],
        ).fetchall()
        if not rows:
            return False
        end = bound = None
        if whole and matching.before is not None:
            end = batch_end([r[1] for r in rows], matching.batch, matching.before)
            bound = _hour(end)
            part = _whole_part(rows, bound)
            end, rows = (bound if len(part) < len(rows) else end), part
        ids = [r[0] for r in rows]
        delete_batch(conn, ids, out, kept, (end, bound))
    if keep_ids:
        out.request_ids.extend(ids)
    return True


def delete_batch(
    conn: Any,
    ids: list[str],
    out: Removed,
    kept: Rollups,
    limits: tuple[str | None, str | None] = (None, None),
) -> None:
    """Delete the requests ``ids`` and what hangs off them, in ``conn``'s transaction
    (``limits``, for ``kept.whole``: the time below which no request is left after the
    batch, and the hour below which it completes every hour).

    Plain ``IN (?, ...)`` lists (a batch is at most a few thousand ids), so the same SQL runs
    on SQLite and, through the store's dialect, on PostgreSQL."""
    marks = ", ".join("?" * len(ids))
    if kept.batched:  # SQLite: the delete triggers' work in a few grouped statements
        conn.execute("UPDATE rollup_control SET batched = 1")
        statements = batched_delete(
            marks,
            status=kept.status,
            property_models=kept.property_models,
            property_users=kept.property_users,
            whole=kept.whole,
        )
        end, bound = limits
        values: dict[str, list[Any]] = {"ids": list(ids), "bound": [bound], "end": [end]}
        for sql, binds in statements:
            conn.execute(sql, [v for name in binds for v in values[name]])
    sessions = _sessions_of(conn, ids, marks, kept.batched)
    counted = {"scores": 0, "request_properties": 0, "attempts": 0}
    for table, column in _CHILDREN:
        cursor = conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)
        counted[table] = cursor.rowcount
    out.requests += conn.execute(f"DELETE FROM requests WHERE id IN ({marks})", ids).rowcount
    out.scores += counted["scores"]
    out.properties += counted["request_properties"]
    out.attempts += counted["attempts"]
    held = ", ".join("?" * len(sessions))
    if sessions and kept.recount:
        for sql in recount_sessions(held):
            conn.execute(sql, sessions)
    if sessions:  # scores of sessions that no longer have a request
        out.session_scores += conn.execute(
            f"DELETE FROM session_scores WHERE session_id IN ({held}) AND NOT EXISTS "
            "(SELECT 1 FROM requests r WHERE r.session_id = session_scores.session_id)",
            sessions,
        ).rowcount
    if kept.batched:
        conn.execute("UPDATE rollup_control SET batched = 0")


def _sessions_of(conn: Any, ids: list[str], marks: str, batched: bool) -> list[str]:
    """The batch's sessions: from the rows ``batched_delete`` copied into its temporary
    table (no second lookup of the batch's requests by id), else from ``requests``."""
    if batched:
        found = conn.execute(
            "SELECT DISTINCT session_id FROM temp.rollup_batch WHERE session_id IS NOT NULL"
        )
    else:
        found = conn.execute(
            f"SELECT DISTINCT session_id FROM requests WHERE id IN ({marks}) "
            "AND session_id IS NOT NULL",
            ids,
        )
    return [r[0] for r in found]
