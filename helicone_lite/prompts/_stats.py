"""Per-version figures of a prompt, from the request log (``requests`` and ``scores``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._models import VersionStats

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["version_stats"]

_CALLS = """
SELECT v.version,
       COUNT(r.id),
       COALESCE(SUM(CASE WHEN r.id IS NOT NULL AND COALESCE(r.status, 0) != 200
                    THEN 1 ELSE 0 END), 0),
       SUM(r.cost_usd),
       AVG(r.latency_ms)
FROM prompt_versions v
LEFT JOIN requests r ON r.prompt_id = v.prompt_id AND r.prompt_version = v.version
WHERE v.prompt_id = ?
GROUP BY v.version
ORDER BY v.version
"""

_SCORES = """
SELECT r.prompt_version, s.name, AVG(s.value)
FROM requests r JOIN scores s ON s.request_id = r.id
WHERE r.prompt_id = ? AND r.prompt_version IS NOT NULL
GROUP BY r.prompt_version, s.name
ORDER BY s.name
"""


def version_stats(store: Store, prompt_id: str) -> list[VersionStats]:
    """One :class:`VersionStats` per version (versions without calls included)."""
    conn = store.connect()
    scores: dict[int, dict[str, float]] = {}
    for version, name, mean in conn.execute(_SCORES, (prompt_id,)):
        if mean is not None:
            scores.setdefault(int(version), {})[name] = float(mean)
    return [
        VersionStats(
            version=int(version),
            calls=int(calls),
            errors=int(errors),
            cost_usd=None if cost is None else float(cost),
            mean_latency_ms=None if latency is None else float(latency),
            scores=scores.get(int(version), {}),
        )
        for version, calls, errors, cost, latency in conn.execute(_CALLS, (prompt_id,))
    ]
