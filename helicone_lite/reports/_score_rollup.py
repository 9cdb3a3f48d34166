"""Mean scores from the score rollups (``store/_rollup_scores.py``) instead of the facts.

The mean scores of the models, providers and summary reports (a group of ``all``, ``model``
or ``provider``: ``rollup_scores``, when every filter is one of its keys: the time range,
model, provider, status) and of the properties report (per value of the grouped property:
``rollup_property_scores``, when the only filters are the time range and that property's
value) are the hourly sums of the whole hours in the range plus the raw scores of the
partial hours at either end (the requests of that short range of the time index, joined with
their scores): the same split as the other rollups (``_rollup.plan``). Every user's means
(the users report showing more users than it narrows the means to) are the daily sums of
``rollup_user_scores`` (PostgreSQL only) plus the partial days' scores (``user_means``).
Anything else (a user, session or prompt filter; the users report's means of the users it
shows; the ``scores`` report's min and max) reads the facts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._filters import Filters
from ._rollup import cut, plan
from ._sql import Reader

__all__ = ["rolled_means", "user_means"]

#: score group -> the report column it is keyed by (None: all scores as one group)
_GROUPS: dict[str, str | None] = {"all": None, "model": "model", "provider": "provider"}


def rolled_means(
    reader: Reader, filters: Filters, now: float, group: str, property_name: str | None = None
) -> dict[Any, dict[str, float]] | None:
    """``{group key: {score name: mean}}`` as ``score_means`` gives it, or None when the
    rollup cannot answer (a filter it has no key for, a store without it, rollups off)."""
    if property_name is None and group not in _GROUPS:
        return None
    filters = dataclasses.replace(filters, cache_status=None)  # (scores ignore it)
    if property_name is not None:
        table, roll = (
            "rollup_property_scores",
            plan(reader, filters, now, "property_scores", prop=property_name),
        )
    else:
        table, roll = "rollup_scores", plan(reader, filters, now, "scores")
    if roll is None or not reader.has_table(table):  # (an older store's view)
        return None
    if property_name is not None:
        sql = (
            "SELECT value AS k, score AS name, total(total) AS t, sum(n) AS c "
            f"FROM {table} WHERE {roll.where} GROUP BY value, score"
        )
        edges = [_property_edge(edge, now, property_name) for edge in roll.edges]
    else:
        name = _GROUPS[group]
        where = roll.where + (" AND (nulls & 4) = 0" if filters.status is not None else "")
        key = f"{roll.column(name)} AS k" if name else "NULL AS k"
        by = f"{roll.group([name])}, name" if name else "name"
        sql = (
            f"SELECT {key}, name, total(total) AS t, sum(n) AS c FROM {table} "
            f"WHERE {where} GROUP BY {by}"
        )
        edges = [_edge(edge, now, name) for edge in roll.edges]
    return _means(reader, [(sql, list(roll.params)), *edges])


def user_means(reader: Reader, filters: Filters, now: float) -> dict[Any, dict[str, float]] | None:
    """Every user's ``{score name: mean}`` (``score_means(group="user")`` without ``keys``)
    from ``rollup_user_scores`` (PostgreSQL, ``store/_rollup_user_scores.py``): the daily
    sums of the whole days in the range, plus the scores of the partial days at either end
    (a range of ``idx_score_facts_time`` each); None when it cannot answer (a filter other than
    the time range, a range within two days, a store without the table)."""
    unhit = dataclasses.replace(filters, cache_status=None)
    if any(getattr(unhit, f) is not None for f in _NOT_KEYED) or unhit.properties:
        return None
    if not reader.rollups() or not reader.has_table("rollup_user_scores"):
        return None
    days = cut(unhit, now, 86400)
    if days is None:
        return None  # within two days: the raw scores are few
    lo, hi = days.lo, days.hi
    tests, params = [], []
    if lo is not None:
        tests.append("day >= ?")
        params.append(lo[:10])
    elif hi is not None:
        tests.append("day > ''")  # scores without a time are outside any range
    if hi is not None:
        tests.append("day < ?")
        params.append(hi[:10])
    sql = (
        "SELECT CASE WHEN nulls = 1 THEN NULL ELSE user_id END AS k, name, "
        "total(total) AS t, sum(n) AS c FROM rollup_user_scores "
        f"WHERE {' AND '.join(tests) or '1 = 1'} GROUP BY user_id, nulls, name"
    )
    return _means(reader, [(sql, params), *(_user_edge(e, now) for e in days.edges)])


def _user_edge(edge: Filters, now: float) -> tuple[str, list[Any]]:
    """The scores of a partial day per user: a range of ``idx_score_facts_time``."""
    where, params = edge.where(now, alias="s.")
    sql = (
        "SELECT s.user_id AS k, s.name AS name, total(s.value) AS t, count(s.value) AS c "
        f"FROM score_facts s WHERE {where} GROUP BY s.user_id, s.name"
    )
    return sql, params


#: the filters ``rollup_user_scores`` has no key for
_NOT_KEYED = ("model", "provider", "user", "session", "status", "prompt_id", "prompt_version")


def _means(reader: Reader, statements: list[tuple[str, list[Any]]]) -> dict[Any, dict[str, float]]:
    """``{k: {name: mean}}`` of the sums (``k``, ``name``, ``t``, ``c``) of ``statements``."""
    sums: dict[Any, dict[str, list[float]]] = {}
    for sql, params in statements:
        for row in reader.rows(sql, params):
            _add(sums, row)
    return {
        k: {score: float(t) / c for score, (t, c) in named.items() if c}
        for k, named in sums.items()
        if any(c for _, c in named.values())
    }


_JOIN = "FROM requests r INDEXED BY idx_requests_created_at JOIN scores s ON s.request_id = r.id"
_SUMS = "s.name AS name, total(s.value) AS t, count(s.value) AS c"


def _edge(edge: Filters, now: float, name: str | None) -> tuple[str, list[Any]]:
    """The scores of a partial hour's requests, per ``name`` (a request column)."""
    where, params = edge.where(now, alias="r.")
    key, by = (f"r.{name} AS k", f"r.{name}, s.name") if name else ("NULL AS k", "s.name")
    return f"SELECT {key}, {_SUMS} {_JOIN} WHERE {where} GROUP BY {by}", params


def _property_edge(edge: Filters, now: float, prop: str) -> tuple[str, list[Any]]:
    """The scores of a partial hour's requests, per value of property ``prop``."""
    where, params = edge.where(now, alias="r.", skip_property=prop)
    tests, first = ["p.name = ?", "p.value IS NOT NULL"], [prop]
    wanted = edge.properties.get(prop)
    if wanted is not None:
        tests.append("p.value = ?")
        first.append(wanted)
    sql = (
        f"SELECT p.value AS k, {_SUMS} {_JOIN} "
        "JOIN request_properties p ON p.request_id = r.id "
        f"WHERE {' AND '.join(tests)} AND {where} GROUP BY p.value, s.name"
    )
    return sql, [*first, *params]


def _add(sums: dict[Any, dict[str, list[float]]], row: Any) -> None:
    cell = sums.setdefault(row["k"], {}).setdefault(row["name"], [0.0, 0])
    cell[0] += float(row["t"] or 0.0)
    cell[1] += int(row["c"] or 0)
