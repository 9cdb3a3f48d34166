"""Exact first and last times of groups read from an hourly rollup (``_rollup.grouped``).

A rollup knows each group's hours, not its requests' times: :func:`hour_edges` reads a
group's first and last hour (two lookups at the ends of its hours), :func:`exact_times` the
first and last request inside those hours (one hour of the time index, or of a property
value's facts, each).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from ..store import epoch_from_iso, iso_from_epoch
from ._rollup import Raw, Rollup
from ._sql import Reader

__all__ = ["exact_times", "hour_edges"]


def hour_edges(reader: Reader, roll: Rollup, rows: Sequence[Raw], name: str) -> None:
    """Set ``first_hour``/``last_hour`` of rows from :func:`grouped` (grouped by report
    column ``name`` alone, without ``hours``): per row, two lookups at the ends of the
    group's hours. For a rollup keyed ``(name, nulls, hour)`` whose only NULL bit is
    ``name``'s (``rollup_users``)."""
    column, bit = roll.table.columns[name]
    # ``nulls = ?`` (not a bit test): the key's next column pinned, min/max read its ends
    test = "nulls = ?" if bit else "1 = 1"
    sql = (
        "SELECT {agg}(hour) FROM " + roll.table.name + f" WHERE {column} = ? AND {test} "
        f"AND hour > '' AND {roll.where}"
    )
    for field, agg in (("first_hour", "min"), ("last_hour", "max")):
        sets = [
            (
                "" if row[name] is None else row[name],
                bit if row[name] is None else 0,
                *roll.params,
            )
            for row in rows
        ]
        if not bit:
            sets = [(key, *rest) for key, _, *rest in sets]
        for row, found in zip(rows, reader.many(sql.format(agg=agg), sets), strict=True):
            row[field] = found[0] if found else None


def _hour_end(hour: str) -> str:
    return iso_from_epoch(epoch_from_iso(hour) + 3600)


def exact_times(
    reader: Reader,
    rows: Sequence[Raw],
    column: str | Sequence[str],
    prop: tuple[str, str] | None = None,
) -> None:
    """Set ``first_at``/``last_at`` of rows from :func:`grouped` exactly: a time from the raw
    edges when it lies outside the rollup's hours, else the first (last) request of the
    group in its first (last) hour, one hour of the time index each (``prop``: of that
    property value's requests only, one hour of its facts each). ``column``: the group's
    report column, or columns (``model``, ``provider``)."""
    table, lead = "requests INDEXED BY idx_requests_created_at WHERE", cast(tuple[str, ...], ())
    if prop is not None:
        table, lead = "property_facts WHERE name = ? AND value = ? AND", prop
    columns = [column] if isinstance(column, str) else list(column)
    tests = " AND ".join(f"{c} IS ?" for c in columns)
    sql = (
        "SELECT {agg}(created_at) FROM "
        + table
        + f" created_at >= ? AND created_at < ? AND {tests}"
    )
    firsts: list[tuple[Raw, tuple[Any, ...]]] = []
    lasts: list[tuple[Raw, tuple[Any, ...]]] = []
    for row in rows:
        first_hour, last_hour = row.get("first_hour"), row.get("last_hour")
        first, last = row.get("first_at"), row.get("last_at")
        key = tuple(row[c] for c in columns)
        if first_hour and not (first and first < first_hour):
            firsts.append((row, (*lead, first_hour, _hour_end(first_hour), *key)))
        if last_hour and not (last and last > last_hour):
            lasts.append((row, (*lead, last_hour, _hour_end(last_hour), *key)))
    for name, agg, wanted in (("first_at", "min", firsts), ("last_at", "max", lasts)):
        found = reader.many(sql.format(agg=agg), [params for _, params in wanted])
        for (row, _), value in zip(wanted, found, strict=True):
            row[name] = value[0] if value else None
        for row, _ in wanted:
            row["first_hour" if name == "first_at" else "last_hour"] = None
