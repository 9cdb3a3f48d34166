"""Mean scores per group equal a brute-force recount of the generated scores, on both
engines, with and without filters, and the users' means for the users shown: SQLite reads
them through score indexes keyed by the time (``SCORE_TIME_MIGRATION``: the user group's
led by the time, so its groups are sorted rather than walked in order)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._filters import parse_time
from helicone_lite.reports._scores import GROUPS
from helicone_lite.store._schema import SCHEMA_VERSION

from . import brute
from .conftest import T0, Generated

FILTERS = (
    Filters(),
    Filters(since="3d"),
    Filters(since="6d", until="2d"),
    Filters(model="gpt-4o"),
    Filters(user="patient-7829"),
    Filters(status="error"),
)


def _key(row: dict[str, Any], group: str) -> Any:
    if group == "all":
        return None
    if group == "prompt":
        prompt, version = row["prompt_id"], row["prompt_version"]
        return None if prompt is None else f"{prompt} v{version}"
    column = {"user": "user_id", "path": "session_path", "session": "session_id"}
    return row[column.get(group, group)]


def _expected(generated: Generated, f: Filters, group: str) -> dict[Any, tuple[int, float]]:
    since = parse_time(f.since, T0, "since") or ""
    until = parse_time(f.until, T0, "until")
    by_id = {r["id"]: r for r in generated.rows}
    values: dict[Any, list[float]] = defaultdict(list)
    for request_id, name, value, _ in generated.scores:
        row = by_id[request_id]
        if brute.selected(row, f, since) and (until is None or row["created_at"] < until):
            values[(_key(row, group), name)].append(value)
    return {k: (len(v), sum(v) / len(v)) for k, v in values.items()}


@pytest.mark.parametrize("group", GROUPS)
def test_mean_scores_of_every_group_equal_a_recount(generated: Generated, group: str) -> None:
    reports = Reports(generated.store, clock=lambda: T0)
    for f in FILTERS:
        found = {(r.key, r.name): (r.count, r.mean) for r in reports.scores(f, by=group)}
        expected = _expected(generated, f, group)
        assert found.keys() == expected.keys(), (group, f)
        for key, (count, mean) in expected.items():
            assert found[key][0] == count, (group, f, key)
            assert found[key][1] == pytest.approx(mean), (group, f, key)


def test_the_users_means_for_the_users_shown_equal_a_recount(generated: Generated) -> None:
    reports = Reports(generated.store, clock=lambda: T0)
    for f in (Filters(), Filters(since="3d"), Filters(model="gpt-4o")):
        expected = _expected(generated, f, "user")
        for limit in (1, 2, None):
            for row in reports.users(f, limit=limit):
                want = {n: m for (u, n), (_, m) in expected.items() if u == row.user_id}
                assert row.scores == pytest.approx(want), (f, limit, row.user_id)


def test_sqlite_score_indexes_are_keyed_by_the_time(generated: Generated) -> None:
    if generated.store.engine != "sqlite":
        pytest.skip("SQLite's indexes (PostgreSQL keeps its own)")
    assert generated.store.schema_version == SCHEMA_VERSION
    for group in GROUPS:
        columns = [
            r["name"]
            for r in generated.store.query(f"PRAGMA index_info(idx_score_facts_{group})")
        ]
        assert columns.index("created_at") < columns.index("value"), (group, columns)
    user = [r["name"] for r in generated.store.query("PRAGMA index_info(idx_score_facts_user)")]
    assert user[:3] == ["created_at", "user_id", "name"]
