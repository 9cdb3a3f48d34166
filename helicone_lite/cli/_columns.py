"""The columns of the report listings (users, sessions, properties, costs, scores), for
:class:`._output.Output`: what a person reads in the table and the TSV; ``--json`` and
``--csv`` carry the rows' own fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..reports._render import duration, money, percent
from ._output import Column

__all__ = ["costs_columns", "group_columns", "scores_text", "when"]


def when(value: Any) -> str:
    """An ISO time as ``2026-11-19 09:30:00`` (UTC)."""
    return "" if not value else str(value).replace("T", " ")[:19]


def _count(value: Any) -> str:
    return "" if value is None else f"{value:,}"


#: the table's word for a missing group key (no user, no property value); piped: empty
NONE = "(none)"


def scores_text(scores: Mapping[str, Any] | None) -> str:
    shown = []
    for name, value in (scores or {}).items():
        label = "feedback" if name == "helicone-score-feedback" else name
        if isinstance(value, bool):
            shown.append(f"{label}={'up' if value else 'down'}")
        elif isinstance(value, float) and not value.is_integer():
            shown.append(f"{label}={value:.2f}")
        elif value is not None:
            shown.append(f"{label}={value:g}")
    return ", ".join(shown)


SESSIONS = (
    Column("session_id", "session", kind="id"),
    Column("name", drop=6),
    Column("requests", kind="number", fmt=_count),
    Column("cost_usd", "cost", kind="number", fmt=money),
    Column("tokens", kind="number", fmt=_count, drop=3),
    Column("duration_ms", "duration", kind="number", fmt=duration, drop=4),
    Column("errors", kind="number", drop=2),
    Column("last_at", "last", kind="time", fmt=when, drop=5),
    Column("users", fmt=lambda v: ", ".join(v or ()), drop=7),
    Column("scores", fmt=scores_text, drop=8),
)

USERS = (
    Column("user_id", "user", missing=NONE),
    Column("requests", kind="number", fmt=_count),
    Column("cost_usd", "cost", kind="number", fmt=money),
    Column("tokens", kind="number", fmt=_count, drop=3),
    Column("avg_latency_ms", "avg", kind="number", fmt=duration, drop=5),
    Column("p95_latency_ms", "p95", kind="number", fmt=duration, drop=6),
    Column("error_rate", "errors", kind="number", fmt=percent, drop=2),
    Column("cache_hit_rate", "cache", kind="number", fmt=percent, drop=4),
    Column("first_seen", "first seen", kind="time", fmt=when, drop=8),
    Column("last_seen", "last seen", kind="time", fmt=when, drop=7),
    Column("scores", fmt=scores_text, drop=9),
)

THREATS = (
    Column("user_id", "user", missing=NONE),
    Column("threats", kind="number", fmt=_count),
    Column("blocked", kind="number", fmt=_count),
    Column("flagged", kind="number", fmt=_count, drop=4),
    Column("screened", kind="number", fmt=_count, drop=3),
    Column("threat_rate", "rate", kind="number", fmt=percent, drop=5),
    Column("top_category", "top category", fmt=lambda v: v or ""),
    Column("max_score", "max score", kind="number", fmt=lambda v: "" if v is None else f"{v:.2f}", drop=6),
    Column("last_at", "last", kind="time", fmt=when, drop=7),
    Column("categories", fmt=lambda v: ", ".join(f"{k}={n}" for k, n in (v or {}).items()), drop=8),
)

NAMES = (
    Column("name", "property"),
    Column("requests", kind="number", fmt=_count),
    Column("values", kind="number", fmt=_count),
)


def group_columns(dimension: str) -> tuple[Column, ...]:
    """Models, providers or property values (only a model row has a provider of its own)."""
    provider = (Column("provider", drop=6),) if dimension == "model" else ()
    return (
        Column("key", dimension, missing=NONE),
        *provider,
        Column("requests", kind="number", fmt=_count),
        Column("cost_usd", "cost", kind="number", fmt=money),
        Column("tokens", kind="number", fmt=_count, drop=3),
        Column("avg_latency_ms", "avg", kind="number", fmt=duration, drop=4),
        Column("errors", kind="number", drop=2),
        Column("cache_hit_rate", "cache", kind="number", fmt=percent, drop=5),
        Column("scores", fmt=scores_text, drop=7),
    )


def costs_columns(grouped: bool) -> tuple[Column, ...]:
    return (
        Column("start", "bucket", kind="time", fmt=when),
        *((Column("key", "group", missing=NONE),) if grouped else ()),
        Column("requests", kind="number", fmt=_count),
        Column("cost_usd", "cost", kind="number", fmt=money),
        Column("tokens", kind="number", fmt=_count, drop=1),
    )


SCORES = (
    Column("key", "group", missing=NONE),
    Column("name", "score", fmt=lambda v: "feedback" if v == "helicone-score-feedback" else v),
    Column("count", "n", kind="number"),
    Column("mean", kind="number", fmt=lambda v: f"{v:.3g}"),
    Column("min", kind="number", fmt=lambda v: f"{v:g}", drop=2),
    Column("max", kind="number", fmt=lambda v: f"{v:g}", drop=1),
)
