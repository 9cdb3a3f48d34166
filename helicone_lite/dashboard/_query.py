"""Query: read-only SQL over the documented schema (the seed's HQL), with a time limit.

The statement runs through ``Store.query_page`` on the read-only view: on SQLite the guard of
``helicone-lite query`` (``mode=ro``, ``query_only``, an authorizer that refuses every write,
ATTACH and pragma assignment) and a progress handler that interrupts it after
``query_timeout`` seconds; on PostgreSQL a ``READ ONLY`` transaction under
``statement_timeout``. At most ``query_rows`` rows are shown.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..store import StoreError
from ._web import page, render, state_of

__all__ = ["EXAMPLES", "query"]

#: the examples offered on the page: each runs on both engines (SQLite's spelling; PostgreSQL
#: has ``julianday`` with ``'now'`` in UTC and ``round`` of a float, from the store's
#: migrations) with the same rows. The first reads a rollup (one row per hour and model: the
#: same figures as the second, which reads every request: at 10,000,000 requests ~3 s of
#: server CPU, against milliseconds; docs/scaling.md).
EXAMPLES = (
    "SELECT model, sum(requests) AS requests, round(sum(cost_usd), 6) AS cost\n"
    "FROM rollup_models GROUP BY model ORDER BY cost DESC, model",
    "SELECT model, count(*) AS requests, round(sum(cost_usd), 6) AS cost\n"
    "FROM requests GROUP BY model ORDER BY cost DESC, model",
    "SELECT user_id, count(*) AS requests, avg(latency_ms) AS avg_ms\n"
    "FROM requests WHERE julianday(created_at) >= julianday('now') - 7\n"
    "GROUP BY user_id ORDER BY 2 DESC, 1 LIMIT 20",
    "SELECT name, value, count(*) AS requests FROM request_properties\n"
    "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
)


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
            columns, rows, truncated = state.view().query_page(
                sql, timeout=state.query_timeout, max_rows=state.query_rows
            )
            context.update(columns=columns, rows=rows, truncated=truncated)
        except StoreError as exc:
            context["error"] = str(exc)
        context["elapsed_ms"] = (time.perf_counter() - started) * 1000
    return render(request, "query.html", context)
