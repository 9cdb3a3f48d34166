"""The SQL page's example queries run on both engines with the same rows: each is written in
SQLite's spelling, and PostgreSQL has what they use (``julianday('now')`` in UTC and
``round`` of a float, from the store's migrations)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from helicone_lite.dashboard import create_app
from helicone_lite.dashboard._query import EXAMPLES
from helicone_lite.store import Store, iso_from_epoch

TestClient = pytest.importorskip("starlette.testclient").TestClient

DAY = 86400.0


def _fill(database: str) -> None:
    """Three users: two with requests in the last week (one of them also older), one with
    older requests only; two properties."""
    now = time.time()
    rows = [
        ("a", now - 1 * DAY, "gpt-4o", 0.0123456789, 100.0),
        ("a", now - 2 * DAY, "gpt-4o", 0.02, 300.0),
        ("a", now - 30 * DAY, "gpt-4o-mini", 0.001, 50.0),
        ("b", now - 3 * DAY, "gpt-4o-mini", 0.002, 80.0),
        ("c", now - 10 * DAY, "gpt-4o-mini", 0.003, 70.0),
    ]
    with Store(database) as store:
        for i, (user, at, model, cost, latency) in enumerate(rows):
            store.write(
                "requests",
                {
                    "id": f"req-{i}",
                    "created_at": iso_from_epoch(at),
                    "model": model,
                    "provider": "openai",
                    "status": 200,
                    "user_id": user,
                    "cost_usd": cost,
                    "latency_ms": latency,
                    "properties": {"department": "cardiology" if i % 2 else "oncology"},
                },
            )
        store.flush()


EXPECTED: list[list[tuple[Any, ...]]] = [
    [("gpt-4o", 2, 0.032346), ("gpt-4o-mini", 3, 0.006)],  # (the rollup's sums: the same)
    [("gpt-4o", 2, 0.032346), ("gpt-4o-mini", 3, 0.006)],
    [("a", 2, 200.0), ("b", 1, 80.0)],
    [("department", "oncology", 3), ("department", "cardiology", 2)],
]


def test_every_example_gives_the_same_rows_on_both_engines(database: str) -> None:
    _fill(database)
    with Store(database, readonly=True) as view:
        for sql, expected in zip(EXAMPLES, EXPECTED, strict=True):
            _columns, rows, truncated = view.query_page(sql, timeout=10, max_rows=100)
            assert not truncated
            assert [tuple(r) for r in rows] == expected, sql


def test_the_examples_render_on_the_page(database: str, tmp_path: Path) -> None:
    _fill(database)
    url = database if database.startswith("postgresql") else None
    home = Path(database).parent if url is None else tmp_path / "home"
    app = create_app(home=home, database_url=url)
    try:
        client = TestClient(app, base_url="http://127.0.0.1")
        assert client.get("/query").status_code == 200
        for sql in EXAMPLES:
            response = client.get(f"/query?sql={quote(sql)}")
            assert response.status_code == 200
            assert 'class="flash bad"' not in response.text and "<td>" in response.text, sql
    finally:
        app.state.dashboard.close()
