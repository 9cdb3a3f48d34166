"""Turning queued rows into SQL statements (runs on the writer thread, off the hot path)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from ._database import Columns
from ._errors import LOGGER, Reporter
from ._ids import new_request_id
from ._json import JsonEncoder, datetime_iso

__all__ = [
    "PLAIN_TYPES",
    "DeferredRow",
    "Item",
    "PreparedRow",
    "Queued",
    "RowPreparer",
    "Statement",
    "evaluate_cost",
    "evaluate_deferred",
    "group_by_sql",
    "group_in_order",
    "materialize",
    "to_sql_value",
]

Item = tuple[str, dict[str, Any]]  # (table, row) as the sink and the spill journal get it


class DeferredRow(Protocol):
    """A row the writer thread builds (``Store.write_deferred``): the recorder's capture."""

    def build(self) -> dict[str, Any]:
        """The row with plain values (``_cost`` may stay a callable): the writer does not
        look for callables in a built row as it does in a ``write()`` row."""
        ...

    def fallback(self) -> dict[str, Any]: ...


Queued = tuple[str, "dict[str, Any] | DeferredRow"]  # as queued by Store.write / write_deferred
Statement = tuple[str, tuple[Any, ...]]  # (sql, parameters)
PreparedRow = list[Statement]  # one logical row: its insert plus side-table inserts

#: the types SQLite stores as they are (the rest become JSON or text: ``to_sql_value``)
PLAIN_TYPES = frozenset({str, int, float, bytes, bool, type(None)})
_PLAIN_TYPES = PLAIN_TYPES
_PROPERTY_SQL = (
    "INSERT OR REPLACE INTO request_properties (request_id, name, value) VALUES (?, ?, ?)"
)


def to_sql_value(value: Any, encode: Callable[[Any], str]) -> Any:
    """A Python value as SQLite stores it: containers become JSON text, datetimes ISO text."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is dict or kind is list or kind is tuple:
        return encode(value)
    if isinstance(value, (str, int, float)):  # enums and other subclasses
        return value
    if isinstance(value, (Mapping, list, tuple)):
        return encode(dict(value) if isinstance(value, Mapping) else value)
    if isinstance(value, datetime):
        return datetime_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if callable(getattr(value, "model_dump", None)):
        return encode(value)
    return str(value)


def materialize(item: Queued, new_id: Callable[[], str] = new_request_id) -> Item:
    """The row as plain values: a deferred row built, deferred callables evaluated, ``_cost``
    priced, an id given.

    Runs on the writer thread before a batch goes to the sink or the spill journal, so both
    engines and the journal see the same JSON-able row, and a spilled row keeps its id.
    """
    table, queued = item
    if isinstance(queued, dict):
        row = queued
        _evaluate_deferred(row)
    else:
        row = _built(queued)  # its values are plain (DeferredRow.build)
    if table == "requests":
        if not row.get("id"):
            row["id"] = new_id()
        compute = row.pop("_cost", None)
        if "cost_usd" not in row:
            row["cost_usd"] = evaluate_cost(compute) if callable(compute) else None
    return table, row


def _built(deferred: DeferredRow) -> dict[str, Any]:
    """``deferred.build()``; a row that cannot be built is logged by its fallback (the call
    still counts) and never fails the rest of its batch."""
    try:
        return deferred.build()
    except Exception:
        LOGGER.warning("helicone_lite store: a log row could not be built", exc_info=True)
    try:
        return deferred.fallback()
    except Exception:
        return {"error": "helicone_lite: this call's log row could not be built"}


def evaluate_cost(compute: Callable[..., float | None], *args: Any) -> float | None:
    """Call a row's ``_cost`` hook (with ``args``, if any); any failure (or a non-number)
    means unknown cost (NULL)."""
    try:
        cost = compute(*args)
        if cost is None:
            return None
        cost = float(cost)
    except Exception:  # a price-table bug must not lose the row
        LOGGER.debug("cost computation failed; storing NULL", exc_info=True)
        return None
    return cost if math.isfinite(cost) else None


class _Plan:
    """One row shape's statement: its SQL, which of the row's values it binds (None: all)
    and where rows of this shape had values SQLite does not store as they are (JSON
    columns' dicts, ...): those are converted first, then one check in C over the rest
    (``frozenset.issuperset(map(type, ...))``) instead of a Python-level test per value
    (~30 a ``requests`` row). A value found elsewhere is converted too and its place
    remembered, so the result is the same as testing every value."""

    __slots__ = ("convert", "keep", "sql")

    def __init__(self, sql: str, keep: tuple[int, ...] | None) -> None:
        self.sql, self.keep = sql, keep
        self.convert: tuple[int, ...] = ()


class RowPreparer:
    """Builds ``INSERT OR REPLACE`` statements for rows of known tables.

    Rows of ``requests`` are inserted with ``INSERT OR IGNORE``: the id is the primary key, a
    row is never overwritten, and a row replayed from the spill journal that had in fact been
    committed is skipped (each row lands exactly once). Other tables keep ``OR REPLACE``
    (their keys are natural: replaying them writes the same values again).

    The SQL depends on which keys a row has (missing keys keep the column's default), so it
    is cached per (table, key tuple): rows written by one code path share one statement and
    batch into one ``executemany``. Keys that are not columns are ignored (keys starting with
    ``_`` silently, others with one warning per key).
    """

    def __init__(self, columns: Columns, reporter: Reporter) -> None:
        self._columns = columns
        self._reporter = reporter
        self._encode = JsonEncoder()
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def prepare(self, table: str, row: dict[str, Any]) -> PreparedRow:
        """The statements that store ``row``; ValueError if ``table`` does not exist."""
        if table not in self._columns:
            raise ValueError(f"unknown table {table!r}")
        # no pass for callables here: the writer's ``materialize`` made the values plain
        if table != "requests":
            return [self._statement(table, row)]
        side: PreparedRow = []
        attempts = self._expand_request(row, side)  # fills id, cost_usd, attempts
        statement = self._statement(table, row)
        if attempts is not None:
            # the row stays as queued: a batch that fails after this spills it, and its
            # replay needs the list (the count alone would lose the attempts' rows)
            row["attempts"] = attempts
        return [statement, *side]

    def _statement(self, table: str, row: dict[str, Any]) -> Statement:
        key = (table, tuple(row))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(table, key[1])
        values = list(row.values())
        keep = plan.keep
        if keep is not None:
            values = [values[i] for i in keep]
        encode = self._encode
        for i in plan.convert:  # where rows of this shape had values to convert
            value = values[i]
            if type(value) not in _PLAIN_TYPES:
                values[i] = to_sql_value(value, encode)
        if not _PLAIN_TYPES.issuperset(map(type, values)):  # elsewhere too: found, remembered
            found = [i for i, value in enumerate(values) if type(value) not in _PLAIN_TYPES]
            for i in found:
                values[i] = to_sql_value(values[i], encode)
            plan.convert = tuple(sorted({*plan.convert, *found}))
        return plan.sql, tuple(values)

    def _plan(self, table: str, keys: tuple[str, ...]) -> _Plan:
        known = self._columns[table]
        keep = tuple(i for i, name in enumerate(keys) if name in known)
        for name in keys:
            if name not in known and not name.startswith("_"):
                self._reporter.warn_once(
                    f"column:{table}.{name}",
                    "helicone_lite store: table %r has no column %r; that value is not stored",
                    table,
                    name,
                )
        names = [keys[i] for i in keep]
        verb = "INSERT OR IGNORE" if table == "requests" else "INSERT OR REPLACE"
        sql = f"{verb} INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        return _Plan(sql, None if len(keep) == len(keys) else keep)

    def _expand_request(self, row: dict[str, Any], out: PreparedRow) -> Any:
        """Fill ``row``'s id and cost, append its properties' and attempts' statements to
        ``out``; returns the attempts list that ``row["attempts"]`` now counts (else None)."""
        request_id = row.get("id")
        if not request_id:
            request_id = row["id"] = new_request_id()
        compute = row.pop("_cost", None)  # popped: rows then match a plan with no skipped key
        if compute is not None and "cost_usd" not in row:
            row["cost_usd"] = evaluate_cost(compute) if callable(compute) else None
        properties = row.get("properties")
        if type(properties) is dict or isinstance(properties, Mapping):
            for name, value in properties.items():
                if value is not None:
                    text = value if isinstance(value, str) else self._encode(value)
                    out.append((_PROPERTY_SQL, (request_id, str(name).lower(), text)))
        attempts = row.get("attempts")
        if type(attempts) is not int and isinstance(attempts, (list, tuple)):
            row["attempts"] = len(attempts)
            for number, attempt in enumerate(attempts, start=1):
                if isinstance(attempt, Mapping):
                    record = {"request_id": request_id, "attempt": number, **attempt}
                    record["request_id"] = request_id
                    out.append(self._statement("attempts", record))
            return attempts
        return None


def _evaluate_deferred(row: dict[str, Any]) -> None:
    """Row values given as zero-argument callables are computed here, on the writer thread,
    so callers queue references instead of serialising bodies on their own path."""
    evaluate_deferred(row, row)


_CONTAINERS = frozenset({dict, list, tuple})


def evaluate_deferred(row: dict[str, Any], names: Iterable[str]) -> None:
    """:func:`_evaluate_deferred` for the values of ``names`` only."""
    plain, containers = _PLAIN_TYPES, _CONTAINERS
    for name in list(names):
        value = row[name]
        kind = type(value)
        if kind in plain or kind in containers:  # most values: cheaper than callable()
            continue
        if name != "_cost" and callable(value) and not hasattr(value, "model_dump"):
            try:
                row[name] = value()
            except Exception:  # a value that cannot be computed is stored as NULL
                row[name] = None


def group_by_sql(prepared: list[PreparedRow]) -> dict[str, list[tuple[Any, ...]]]:
    """Every statement's parameters under its SQL, one ``executemany`` (or COPY) per shape.

    Rows of one table with different shapes (a cache hit's row lacks a miss's columns) land
    in different groups, so the insertion order across shapes is lost: see
    :func:`group_in_order` where it matters.
    """
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for statements in prepared:
        for sql, params in statements:
            groups.setdefault(sql, []).append(params)
    return groups


def group_in_order(prepared: list[PreparedRow]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Like :func:`group_by_sql`, but each table's rows are inserted in the order they came.

    A table's run of one shape is one group; when the table's shape changes a new group
    starts, after the ones before it. SQLite's ``rowid`` is then log order (``ORDER BY
    created_at, rowid`` breaks millisecond ties the way the calls happened), at the price of
    one more ``executemany`` per change of shape within a batch.

    >>> a = "INSERT INTO t (x) VALUES (?)"
    >>> b = "INSERT INTO t (x, y) VALUES (?, ?)"
    >>> [(sql == a, rows) for sql, rows in group_in_order([[(a, (1,))], [(b, (2, 0))], [(a, (3,))]])]
    [(True, [(1,)]), (False, [(2, 0)]), (True, [(3,)])]
    """
    groups: list[tuple[str, list[tuple[Any, ...]]]] = []
    current: dict[str, tuple[str, list[tuple[Any, ...]]]] = {}  # table -> its open group
    tables: dict[str, str] = {}  # sql -> table
    for statements in prepared:
        for sql, params in statements:
            table = tables.get(sql)
            if table is None:
                table = tables[sql] = sql.split(" INTO ", 1)[1].split(" ", 1)[0]
            group = current.get(table)
            if group is None or group[0] != sql:
                group = current[table] = (sql, [])
                groups.append(group)
            group[1].append(params)
    return groups
