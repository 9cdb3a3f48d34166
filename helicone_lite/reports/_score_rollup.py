"""Mean scores from ``rollup_scores`` (``store/_rollup_scores.py``) instead of ``score_facts``.

The mean scores of the models, providers and summary reports (a group of ``all``, ``model``
or ``provider``), when every filter is a key of the rollup (the time range, model, provider,
status), are the hourly sums of the whole hours in the range plus the raw scores of the
partial hours at either end (the requests of that short range of the time index, joined with
their scores): the same split as the other rollups (``_rollup.plan``). Anything else (a user,
session, prompt or property filter; the ``scores`` report's min and max) reads the facts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._filters import Filters
from ._rollup import plan
from ._sql import Reader

__all__ = ["rolled_means"]

#: score group -> the report column it is keyed by (None: all scores as one group)
_GROUPS: dict[str, str | None] = {"all": None, "model": "model", "provider": "provider"}


def rolled_means(
    reader: Reader, filters: Filters, now: float, group: str
) -> dict[Any, dict[str, float]] | None:
    """``{group key: {score name: mean}}`` as ``score_means`` gives it, or None when the
    rollup cannot answer (a filter it has no key for, a store without it, rollups off)."""
    if group not in _GROUPS:
        return None
    filters = dataclasses.replace(filters, cache_status=None)  # (scores ignore it)
    roll = plan(reader, filters, now, "scores")  # (None with rollups off)
    if roll is None or not reader.has_table("rollup_scores"):  # (an older store's view)
        return None
    name = _GROUPS[group]
    where = roll.where + (" AND (nulls & 4) = 0" if filters.status is not None else "")
    key = f"{roll.column(name)} AS k" if name else "NULL AS k"
    by = f"{roll.group([name])}, name" if name else "name"
    sql = (
        f"SELECT {key}, name, total(total) AS t, sum(n) AS c FROM rollup_scores "
        f"WHERE {where} GROUP BY {by}"
    )
    sums: dict[Any, dict[str, list[float]]] = {}
    for row in reader.rows(sql, roll.params):
        _add(sums, row)
    raw_key = f"r.{name} AS k" if name else "NULL AS k"
    raw_by = f"r.{name}, s.name" if name else "s.name"
    for edge in roll.edges:
        edge_where, params = edge.where(now, alias="r.")
        edge_sql = (
            f"SELECT {raw_key}, s.name AS name, total(s.value) AS t, count(s.value) AS c "
            "FROM requests r INDEXED BY idx_requests_created_at "
            f"JOIN scores s ON s.request_id = r.id WHERE {edge_where} GROUP BY {raw_by}"
        )
        for row in reader.rows(edge_sql, params):
            _add(sums, row)
    return {
        k: {score: float(t) / c for score, (t, c) in named.items() if c}
        for k, named in sums.items()
        if any(c for _, c in named.values())
    }


def _add(sums: dict[Any, dict[str, list[float]]], row: Any) -> None:
    cell = sums.setdefault(row["k"], {}).setdefault(row["name"], [0.0, 0])
    cell[0] += float(row["t"] or 0.0)
    cell[1] += int(row["c"] or 0)
