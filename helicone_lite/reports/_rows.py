"""The typed rows the reports return: frozen dataclasses with a ``to_dict()`` for JSON.

Money is US dollars summed over the requests whose cost is known (an unknown model has no
cost, never a guessed one). Rates are fractions (0.25 = 25 %). Times are
the store's ISO-8601 UTC text (``2026-11-26T23:55:17.123Z``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "CacheSavings",
    "CostBucket",
    "GroupRow",
    "ModelSavings",
    "PropertyName",
    "Row",
    "ScoreRow",
    "SessionRow",
    "ThreatRow",
    "UserRow",
    "to_jsonable",
]

ScoreValue = int | float | bool
_NO_SCORES: Mapping[str, float] = MappingProxyType({})


def to_jsonable(value: Any) -> Any:
    """Rows (and lists/dicts of rows) as plain JSON-able values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


class Row:
    """Base of every report row: ``to_dict()`` gives the JSON form."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self)
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class GroupRow(Row):
    """Figures for one value of a dimension: a model, a provider, a property value, "all".

    ``dimension`` says which (``"model"``, ``"provider"``, ``"property:department"``,
    ``"all"``); ``key`` is the value (``None``: requests without one). ``provider`` is set
    on model rows. ``scores`` maps each score name to its mean over these requests.
    """

    dimension: str
    key: str | None
    requests: int
    cost_usd: float
    tokens: int
    avg_latency_ms: float | None
    errors: int
    error_rate: float
    cache_hits: int
    cache_hit_rate: float
    first_at: str | None
    last_at: str | None
    provider: str | None = None
    scores: Mapping[str, float] = field(default_factory=lambda: _NO_SCORES)


@dataclass(frozen=True, slots=True)
class UserRow(Row):
    """One user (``Helicone-User-Id``, else the body's ``user``); ``None``: no user set.

    ``p95_latency_ms`` is the nearest-rank 95th percentile: the smallest latency that at least
    95 % of this user's requests do not exceed (an observed value, never interpolated).
    """

    user_id: str | None
    requests: int
    cost_usd: float
    tokens: int
    avg_latency_ms: float | None
    p95_latency_ms: float | None
    errors: int
    error_rate: float
    cache_hits: int
    cache_hit_rate: float
    first_seen: str | None
    last_seen: str | None
    scores: Mapping[str, float] = field(default_factory=lambda: _NO_SCORES)


@dataclass(frozen=True, slots=True)
class ThreatRow(Row):
    """One user's LLM-security record (``None``: calls without a user).

    ``screened``: calls a detector looked at; ``threats``: those flagged (``flagged``: passed
    with the flag recorded, ``security_mode="flag"``) or refused (``blocked``);
    ``categories`` counts threats per category (``prompt_injection``, ``S1``…), most first;
    ``max_score`` is the highest detector score among the threats.
    """

    user_id: str | None
    screened: int
    threats: int
    blocked: int
    flagged: int
    threat_rate: float
    top_category: str | None
    max_score: float | None
    last_at: str | None
    categories: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionRow(Row):
    """One session in the sessions list. ``duration_ms``: first start to last end."""

    session_id: str
    name: str | None
    requests: int
    cost_usd: float
    tokens: int
    duration_ms: float
    errors: int
    first_at: str
    last_at: str
    users: tuple[str, ...] = ()
    scores: Mapping[str, ScoreValue] = field(default_factory=lambda: _NO_SCORES)


@dataclass(frozen=True, slots=True)
class PropertyName(Row):
    """A property name in use, with how many requests carry it and how many values it has."""

    name: str
    requests: int
    values: int


@dataclass(frozen=True, slots=True)
class CostBucket(Row):
    """One time bucket ``[start, end)`` (and one group of ``by``, if asked: ``key``).

    With ``by``, the top groups get their own rows and the rest are summed under
    ``key="(other)"``; without ``by``, ``key`` is ``None``.
    """

    start: str
    end: str
    key: str | None
    requests: int
    cost_usd: float
    tokens: int


@dataclass(frozen=True, slots=True)
class CacheSavings(Row):
    """What the cache saved: each hit is worth the cost of the request it was served from.

    ``unpriced_hits``: hits whose original request has no known cost (or is gone).
    ``by_model``: the same figures per model, most saved first.
    """

    requests: int
    hits: int
    hit_rate: float
    saved_usd: float
    saved_tokens: int
    unpriced_hits: int
    by_model: tuple[ModelSavings, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelSavings(Row):
    """Cache savings of one model (the model of the hit rows)."""

    model: str | None
    hits: int
    saved_usd: float
    saved_tokens: int


@dataclass(frozen=True, slots=True)
class ScoreRow(Row):
    """Mean of one score over the requests of one group (a model, a prompt version, ...).

    Boolean scores count as 1/0, so their mean is the share of ``True``.
    """

    dimension: str
    key: str | None
    name: str
    count: int
    mean: float
    min: float
    max: float
