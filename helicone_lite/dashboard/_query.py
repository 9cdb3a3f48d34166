"""Query: read-only SQL over the documented schema (the seed's HQL), with a time limit.

The statement runs on the store's read-only connection (``mode=ro``, ``query_only`` and an
authorizer that refuses every write, ATTACH and pragma assignment: the guard of
``helicone-lite query``); a progress handler interrupts it after ``query_timeout`` seconds, and
at most ``query_rows`` rows are shown.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response

from ..store import StoreError
from ..store._readonly import ReadOnlyConnection, translate_error
from ._web import page, render, state_of

__all__ = ["EXAMPLES", "query", "run_query"]

EXAMPLES = (
    "SELECT model, count(*) AS requests, round(sum(cost_usd), 6) AS cost\n"
    "FROM requests GROUP BY model ORDER BY cost DESC",
    "SELECT user_id, count(*) AS requests, avg(latency_ms) AS avg_ms\n"
    "FROM requests WHERE created_at >= date('now', '-7 days')\nGROUP BY user_id ORDER BY 2 DESC LIMIT 20",
    "SELECT name, value, count(*) FROM request_properties GROUP BY 1, 2 ORDER BY 3 DESC",
)
_STEPS = 10_000  # SQLite VM instructions between deadline checks


def run_query(
    conn: sqlite3.Connection, sql: str, *, timeout: float, max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    """``(columns, rows, truncated)`` of one read-only statement; StoreError on refusal,
    SQL error or timeout."""
    deadline = time.monotonic() + timeout
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _STEPS)
    try:
        cursor = conn.execute(sql)
        rows = cursor.fetchmany(max_rows + 1)
        columns = [c[0] for c in cursor.description or ()]
        cursor.close()
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise StoreError(f"query stopped after the {timeout:g} s time limit") from None
        raise _translated(conn, exc) from None
    except (sqlite3.Error, sqlite3.Warning) as exc:
        raise _translated(conn, exc) from None
    finally:
        conn.set_progress_handler(None, 0)
    return columns, [tuple(r) for r in rows[:max_rows]], len(rows) > max_rows


def _translated(conn: sqlite3.Connection, exc: Exception) -> StoreError:
    if isinstance(conn, ReadOnlyConnection):
        return translate_error(conn, exc)
    return StoreError(f"query failed: {exc}")


@page
def query(request: Request) -> Response:
    state = state_of(request)
    sql = (request.query_params.get("sql") or "").strip()
    context: dict[str, Any] = {
        "title": "Query",
        "sql": sql or EXAMPLES[0],
        "examples": EXAMPLES,
        "columns": [],
        "rows": [],
        "truncated": False,
        "error": None,
        "ran": bool(sql),
        "elapsed_ms": None,
        "timeout": state.query_timeout,
        "max_rows": state.query_rows,
    }
    if sql:
        started = time.perf_counter()
        try:
            columns, rows, truncated = run_query(
                cast(sqlite3.Connection, state.view().connect()),  # the dashboard is SQLite's
                sql,
                timeout=state.query_timeout,
                max_rows=state.query_rows,
            )
            context.update(columns=columns, rows=rows, truncated=truncated)
        except StoreError as exc:
            context["error"] = str(exc)
        context["elapsed_ms"] = (time.perf_counter() - started) * 1000
    return render(request, "query.html", context)
