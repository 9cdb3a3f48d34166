"""The session list ranked by an aggregate, from ``rollup_sessions`` (schema v15,
``store/_rollup_sessions.py``): the top of one index instead of every request of the range.

Grouping the requests of the range by session costs all of them (408-468 ms on 1,000,000
requests over 90 days; 162 s on 10,000,000 in PostgreSQL). The rollup holds each session's
whole figures with an index per sort, read backwards (largest first, ties by id descending:
the list's own order). With a time range, a session's figures *in the range* are:

* its rollup figures when all its requests are inside (first and last ``created_at``);
* nothing when all are outside (it is not listed);
* for a session straddling a range boundary, its rows in the range, grouped (the few read
  per page through ``idx_requests_session``).

Each figure is a sum of non-negative parts, or (duration) a span that only shrinks when
requests are left out, so a session's whole figure bounds its figure in the range. The walk
stops once ``limit`` sessions are known whose figures beat the bound of the next entry
(the threshold algorithm). The chosen sessions, plus any within rounding of the last one,
are ranked again from their raw rows with the raw path's own expression, so ties and floats
order exactly as there. A walk that reads ``_WALK_PER_ROW * limit`` entries without filling
the page (a short range in a long log: few sessions in it) gives up: the raw rows of a
short range are few, and the caller groups them.

Only a time range is answered here: any other filter reads the raw rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..store._rollup_sessions import SESSION_SORT_COLUMNS
from ._filters import Filters, parse_time
from ._sql import Reader

__all__ = ["ranked_from_rollup"]

#: index entries read per session asked before the walk gives up (see the module)
_WALK_PER_ROW = 200
#: floats within this relative distance of the last session kept are ranked again from
#: raw rows (the rollup adds per batch, the raw path row by row)
_REL = 1e-9
_INTEGERS = ("requests", "tokens", "errors")

Candidate = tuple[float, str]


def usable(reader: Reader, filters: Filters, sort: str, limit: int | None) -> bool:
    """Whether the rollup answers this list: a time range only, a limit, a rollup sort."""
    if not limit or sort not in SESSION_SORT_COLUMNS:
        return False
    if dataclasses.replace(filters, since=None, until=None) != Filters():
        return False
    return reader.rollups() and reader.has_index(f"idx_rollup_sessions_{sort}")


def ranked_from_rollup(
    reader: Reader,
    filters: Filters,
    now: float,
    sort: str,
    limit: int,
    raw_rank: str,
    budget: int | None = None,
) -> list[str] | None:
    """The ``limit`` session ids of the list sorted by ``sort``, or None when the walk
    gave up (the caller groups the raw rows) after ``budget`` entries (default
    ``_WALK_PER_ROW * limit``). ``raw_rank``: the raw path's SQL of the figure
    (``total(cost_usd)``, ...), used for sessions straddling the range and for the final
    order."""
    since, until = parse_time(filters.since, now, "since"), parse_time(filters.until, now, "until")
    where, params = filters.where(now)
    column = SESSION_SORT_COLUMNS[sort]
    exact = sort in _INTEGERS
    found: list[Candidate] = []  # (figure in the range, id), best first
    after: tuple[Any, str] | None = None
    read, page, hits, most = 0, limit * 4, 0, budget or _WALK_PER_ROW * limit
    while read < most:
        rows = _page(reader, sort, column, after, page)
        states = [_state(r, since, until) for r in rows]
        straddling = [r["key"] for r, s in zip(rows, states, strict=True) if s == "straddles"]
        partial = _raw_ranks(reader, straddling, where, params, raw_rank)
        for r, state in zip(rows, states, strict=True):
            bound = float(r["rank"] or 0)
            if len(found) >= limit and _below(bound, r["key"], found[limit - 1], exact):
                return _final(reader, found, limit, exact, where, params, raw_rank)
            if state == "inside":
                _keep(found, (bound, r["key"]))
            elif state == "straddles" and r["key"] in partial:
                _keep(found, (partial[r["key"]], r["key"]))
        if len(rows) < page:
            return _final(reader, found, limit, exact, where, params, raw_rank)
        read, hits = read + len(rows), hits + len(rows) - states.count("outside")
        after = (rows[-1]["rank"], rows[-1]["key"])
        page = _next_page(limit - len(found), read, hits, most - read)
    return None


def _next_page(wanted: int, read: int, hits: int, left: int) -> int:
    """Entries to read next: enough, at the share of sessions in the range seen so far, for
    the ``wanted`` sessions still missing (and a margin to pass the bound), within ``left``."""
    share = max(hits, 1) / read
    return min(left, max(64, int((max(wanted, 0) + 16) / share * 1.25)))


def _page(
    reader: Reader, sort: str, column: str, after: tuple[Any, str] | None, n: int
) -> list[dict[str, Any]]:
    keyset = f"WHERE ({column}, session_id) < (?, ?) " if after else ""
    sql = (
        f"SELECT session_id AS key, {column} AS rank, first_at, last_at "
        f"FROM rollup_sessions INDEXED BY idx_rollup_sessions_{sort} {keyset}"
        f"ORDER BY {column} DESC, session_id DESC LIMIT ?"
    )
    return reader.rows(sql, (*(after or ()), n))


def _state(row: dict[str, Any], since: str | None, until: str | None) -> str:
    """Where a session's requests are against the range: inside, outside, straddles."""
    first, last = row["first_at"], row["last_at"]
    if first is None:  # no request with a time: none matches a time range
        return "outside" if since is not None or until is not None else "inside"
    if (since is not None and last < since) or (until is not None and first >= until):
        return "outside"
    if (since is None or first >= since) and (until is None or last < until):
        return "inside"
    return "straddles"


def _below(bound: float, key: str, last: Candidate, exact: bool) -> bool:
    """Whether every entry from (``bound``, ``key``) on ranks below ``last`` (a margin for
    floats: a near-tie is ranked again from raw rows)."""
    floor = last[0] if exact else last[0] - abs(last[0]) * _REL
    if bound != floor:
        return bound < floor
    return key < last[1]


def _keep(found: list[Candidate], item: Candidate) -> None:
    at = len(found)
    while at and found[at - 1] < item:
        at -= 1
    found.insert(at, item)


def _final(
    reader: Reader,
    found: list[Candidate],
    limit: int,
    exact: bool,
    where: str,
    params: list[Any],
    raw_rank: str,
) -> list[str]:
    """The ``limit`` best of ``found`` and its near-ties, ranked by their raw rows."""
    if len(found) > limit:
        last = found[limit - 1][0]
        floor = last if exact else last - abs(last) * _REL
        found = [c for c in found if c[0] >= floor]
    ranks = _raw_ranks(reader, [key for _, key in found], where, params, raw_rank)
    ordered = sorted(((ranks.get(k) or 0, k) for _, k in found), reverse=True)
    return [key for _, key in ordered[:limit]]


def _raw_ranks(
    reader: Reader, ids: Sequence[str], where: str, params: list[Any], raw_rank: str
) -> dict[str, float]:
    """The figure of each session in ``ids`` over its requests matching ``where``."""
    out: dict[str, float] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (
            f"SELECT session_id AS key, {raw_rank} AS rank "
            "FROM requests INDEXED BY idx_requests_session "
            f"WHERE session_id IN ({', '.join('?' * len(chunk))}) AND {where} "
            "GROUP BY session_id"
        )
        out.update((r["key"], float(r["rank"] or 0)) for r in reader.rows(sql, (*chunk, *params)))
    return out
