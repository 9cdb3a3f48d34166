"""PostgreSQL: a page of the request list sorted by status, without sorting the range.

``ORDER BY status, created_at, id`` over a time range made PostgreSQL sort every request of
it (10,000,000 over 90 days: 3.9 s of server CPU, docs/scaling.md). Status leads the order,
so the list is a run of arms one after another, none interleaved: no status, the statuses
above 200, the 200s, the statuses below 200 (PostgreSQL's order: NULL is the largest). Each
arm is read in order from an index and only up to the page: the rare ones from the partial
``idx_requests_status`` (status, created_at, id), the 200s from the time index (ties on an
instant sorted by id, PostgreSQL's incremental sort). An arm the page's offset skips whole
is counted instead (the 200s: the range's total less the rare ones). SQLite merges the
same streams in one compound statement (``_requests._status_page``); PostgreSQL's merge
append cannot, as the time index does not end in ``id``.
"""

from __future__ import annotations

from typing import Any

from ._sql import Reader

__all__ = ["status_arms_page"]

#: the partial index's predicate (STATUS_SORT_MIGRATION): repeated so the planner uses it
_RARE = "(status <> 200 OR status IS NULL)"
#: the arms in descending order: (condition, rare); ascending reverses them
_ARMS = (
    (f"{_RARE} AND status IS NULL", True),
    (f"{_RARE} AND status > 200", True),
    ("status = 200", False),
    (f"{_RARE} AND status < 200", True),
)


def status_arms_page(
    reader: Reader,
    where: tuple[str, list[Any]],
    order: str,
    per_page: int,
    offset: int,
    total: int,
) -> list[Any]:
    """The ids of the page at ``offset`` of the requests matching ``where`` (``total`` of
    them) in ``status {order}, created_at {order}, id {order}`` order."""
    clause, params = where
    arms = _ARMS if order == "DESC" else tuple(reversed(_ARMS))
    ids: list[Any] = []
    skip = offset
    for condition, rare in arms:
        need = per_page - len(ids)
        if need <= 0:
            break
        keys = f"status {order}, " if rare else ""
        sql = (
            f"SELECT id FROM requests WHERE {clause} AND {condition} "
            f"ORDER BY {keys}created_at {order}, id {order} LIMIT ? OFFSET ?"
        )
        got = reader.values(sql, (*params, need, skip))
        if got:
            ids += got
            skip = 0
        elif skip:
            skip = max(0, skip - _count(reader, clause, params, condition, rare, total))
    return ids


def _count(
    reader: Reader, clause: str, params: list[Any], condition: str, rare: bool, total: int
) -> int:
    """The requests of one arm: counted on the partial index, or (the 200s) the total less
    every rare one."""
    if rare:
        sql = f"SELECT count(*) FROM requests WHERE {clause} AND {condition}"
        return int(reader.values(sql, params)[0])
    sql = f"SELECT count(*) FROM requests WHERE {clause} AND {_RARE}"
    return total - int(reader.values(sql, params)[0])
