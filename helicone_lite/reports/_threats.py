"""Threats per user: the calls LLM security flagged or blocked (docs/llm-security.md).

One statement on both engines: the rows that were screened (``security_verdict`` set), grouped
by user and category, read off ``idx_requests_security`` (verdict, user, time; partial: only
screened rows), named with ``INDEXED BY`` (dropped on PostgreSQL): without statistics SQLite's
planner walked ``idx_requests_user`` for the ``GROUP BY`` order instead, every request of the
log (1.9 s on 1,000,000 requests of which none was screened, against 10 ms). The per-user
figures are summed here from those few groups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._errors import OptionsError
from ._filters import Filters
from ._rows import ThreatRow
from ._sql import Reader

__all__ = ["SORTS", "threats"]

_THREAT = "security_verdict IN ('flag', 'block')"
_SQL = f"""SELECT user_id, security_category AS category, count(*) AS screened,
sum(CASE WHEN {_THREAT} THEN 1 ELSE 0 END) AS threats,
sum(CASE WHEN security_verdict = 'block' THEN 1 ELSE 0 END) AS blocked,
max(CASE WHEN {_THREAT} THEN security_score END) AS max_score,
max(CASE WHEN {_THREAT} THEN created_at END) AS last_at
FROM requests INDEXED BY idx_requests_security
WHERE security_verdict IS NOT NULL AND {{where}}
GROUP BY user_id, security_category"""

Raw = dict[str, Any]

#: orders the report can be sorted by (largest first, except ``name``).
SORTS: Mapping[str, Callable[[ThreatRow], Any]] = {
    "threats": lambda r: (r.threats, r.blocked, r.last_at or ""),
    "blocked": lambda r: (r.blocked, r.threats, r.last_at or ""),
    "score": lambda r: (r.max_score or 0.0, r.threats),
    "recent": lambda r: r.last_at or "",
    "rate": lambda r: (r.threat_rate, r.threats),
    "name": lambda r: "" if r.user_id is None else r.user_id,
}


def _user_row(user: str | None, groups: list[Raw]) -> ThreatRow:
    categories: dict[str, int] = {}
    for g in groups:
        if int(g["threats"] or 0) and g["category"] is not None:
            categories[str(g["category"])] = categories.get(str(g["category"]), 0) + int(
                g["threats"]
            )
    screened = sum(int(g["screened"]) for g in groups)
    threats = sum(int(g["threats"] or 0) for g in groups)
    scores = [float(g["max_score"]) for g in groups if g["max_score"] is not None]
    times = [str(g["last_at"]) for g in groups if g["last_at"] is not None]
    ordered = dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])))
    return ThreatRow(
        user_id=user,
        screened=screened,
        threats=threats,
        blocked=sum(int(g["blocked"] or 0) for g in groups),
        flagged=threats - sum(int(g["blocked"] or 0) for g in groups),
        threat_rate=threats / screened if screened else 0.0,
        top_category=next(iter(ordered), None),
        max_score=max(scores, default=None),
        last_at=max(times, default=None),
        categories=ordered,
    )


def threats(
    reader: Reader,
    filters: Filters,
    now: float,
    *,
    limit: int | None = 50,
    sort: str = "threats",
    include_clean: bool = False,
) -> list[ThreatRow]:
    """Per user: calls screened, flagged and blocked, by category, with the highest score.

    Users whose screened calls all passed are left out unless ``include_clean``."""
    if sort not in SORTS:
        raise OptionsError("sort", sort, ", ".join(SORTS))
    if limit is not None and (isinstance(limit, bool) or limit < 1):
        raise OptionsError("limit", limit, "a positive number of rows, or None for all")
    where, params = filters.where(now)
    grouped: dict[str | None, list[Raw]] = {}
    for raw in reader.rows(_SQL.format(where=where), params):
        grouped.setdefault(raw["user_id"], []).append(raw)
    rows = [_user_row(user, groups) for user, groups in grouped.items()]
    if not include_clean:
        rows = [r for r in rows if r.threats]
    rows.sort(key=SORTS[sort], reverse=sort != "name")
    return rows[:limit] if limit else rows
