"""The writer's per-batch statements read the batch only: their query plans on a real file.

After inserting a batch, the SQLite writer adds it to the rollups and fact tables with one
statement per table, each selecting the requests with ``rowid >= :mark``. A plan that walks
an index over a range of another column (or scans ``requests``) instead reads the whole store
once per batch, so the writer's cost per row grows with the store: the session rollup's
upsert did, through ``idx_requests_session`` (benchmarks/README.md, "Writer on a growing
store, 2")."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

from helicone_lite.store import Store
from helicone_lite.store._sink_rollups import SqliteRollups

#: a full scan of ``requests`` or an index walked over a range of a column (not a key lookup)
_WALKS = re.compile(r"^SCAN (requests|r)\b|USING (COVERING )?INDEX \S+ \((?!rowid)\w+[<>]")


def test_batch_statements_read_the_batch_by_rowid(
    store: Store, make_row: Callable[..., dict[str, Any]]
) -> None:
    for i in range(30):
        store.write(
            "requests",
            make_row(id=f"r{i}", session_id=f"s{i % 3}", user_id=f"u{i % 4}"),
        )
    store.flush()
    rollups = SqliteRollups(facts=True, status=True, sessions=True)
    conn = sqlite3.connect(store.path)
    try:
        checked = 0
        for sql in rollups._range:
            plan = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, {"mark": 1})]
            assert any("INTEGER PRIMARY KEY (rowid>?)" in line for line in plan), (sql, plan)
            assert [line for line in plan if _WALKS.search(line)] == [], (sql[:70], plan)
            checked += "rollup_sessions" in sql
        assert checked == 1
    finally:
        conn.close()
