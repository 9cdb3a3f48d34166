"""``Reader.many``: one statement per parameter set on SQLite, one statement for all of them
on PostgreSQL (``reports/_batch.py``); both give what running each set alone gives."""

from __future__ import annotations

from typing import Any

from helicone_lite.reports._batch import CHUNK, correlated
from helicone_lite.reports._sql import Reader

from .conftest import Generated


def _one_by_one(reader: Reader, sql: str, sets: list[tuple[Any, ...]]) -> list[list[Any]]:
    out = []
    for params in sets:
        rows = reader.store.query(sql, params)
        out.append(list(rows[0].values()) if rows else [])
    return out


def test_many_matches_one_statement_per_set(generated: Generated) -> None:
    reader = Reader(generated.store)
    users = [r["user_id"] for r in generated.rows]
    keys = [*dict.fromkeys(users), "nobody"]  # every user, the NULL one, and one with no rows
    cases = [
        (  # a p95-style lookup: a varying key and OFFSET, a fixed bound; no row past the end
            "SELECT latency_ms FROM requests WHERE created_at >= ? AND user_id IS ? "
            "AND latency_ms IS NOT NULL ORDER BY latency_ms DESC LIMIT 1 OFFSET ?",
            [("2000-01-01", key, offset) for key in keys for offset in (0, 3, 10_000)],
        ),
        (  # several columns, an aggregate (always one row), NULLs in it
            "SELECT count(*) AS n, total(cost_usd) AS cost, min(created_at) AS first "
            "FROM requests WHERE user_id IS ?",
            [(key,) for key in keys],
        ),
        (  # nothing varies
            "SELECT count(*) FROM requests WHERE model = ?",
            [("gpt-4o",)] * 3,
        ),
    ]
    for sql, sets in cases:
        assert list(reader.many(sql, sets)) == _one_by_one(reader, sql, sets), sql


def test_many_splits_long_lists(generated: Generated) -> None:
    reader = Reader(generated.store)
    ids = [r["id"] for r in generated.rows] * (CHUNK // len(generated.rows) + 1)
    assert len(ids) > CHUNK
    sql = "SELECT created_at, model FROM requests WHERE id = ?"
    sets = [(i,) for i in ids]
    assert list(reader.many(sql, sets)) == _one_by_one(reader, sql, sets)


def test_correlated_replaces_only_the_varying_placeholders() -> None:
    sql = "SELECT a FROM t WHERE b = ? AND c = '?' AND d = ? -- ?\nLIMIT ?"
    assert correlated(sql, [0, 2]) == (
        "SELECT a FROM t WHERE b = k.p0 AND c = '?' AND d = ? -- ?\nLIMIT k.p1"
    )
