"""The CLI's own queries read indexes (the speed on 1,000,000 rows rests on it; the timings
are in benchmarks/bench_cli.py, never in tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helicone_lite.cli.requests import _SELECT
from tests.reports.conftest import generate

QUERIES = {
    "listing": f"{_SELECT} WHERE 1 ORDER BY created_at DESC LIMIT 20",
    "by user": f"{_SELECT} WHERE user_id = 'x' ORDER BY created_at DESC LIMIT 20",
    "by model": f"{_SELECT} WHERE model = 'x' ORDER BY created_at DESC LIMIT 20",
    "since": f"{_SELECT} WHERE created_at >= '2026' ORDER BY created_at DESC LIMIT 20",
    "follow": f"{_SELECT} WHERE rowid > 5 AND rowid <= 10 AND 1 ORDER BY rowid",
    "show": "SELECT * FROM requests WHERE id >= 'ab' AND id < 'ab\U0010ffff' ORDER BY id LIMIT 2",
    "delete batch": "SELECT id FROM requests WHERE created_at < '2026' LIMIT 2000",
    "delete user": "SELECT id FROM requests WHERE user_id = 'x' LIMIT 2000",
    "session prefix": (
        "SELECT DISTINCT session_id FROM requests WHERE session_id >= 's' "
        "AND session_id < 's\U0010ffff' ORDER BY session_id LIMIT 2"
    ),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_reads_an_index(tmp_path: Path, name: str) -> None:
    data = generate(tmp_path / "helicone.db", n=50)
    try:
        plan = [r["detail"] for r in data.store.query("EXPLAIN QUERY PLAN " + QUERIES[name])]
    finally:
        data.store.close()
    assert plan and all("USING" in step or step.startswith("USE TEMP B-TREE") for step in plan), (
        plan
    )
    assert not any(step == "SCAN requests" for step in plan), plan
