"""Reading alerts back from the store: the rules recorded there and their firing history."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..reports._filters import parse_time
from ..reports._rows import Row
from ..store import Store

__all__ = ["StoredAlert", "StoredEvent", "alert_events", "stored_alerts"]


@dataclass(frozen=True, slots=True)
class StoredAlert(Row):
    """A rule as recorded by the client that checked it, with how often it fired."""

    id: str
    name: str | None
    metric: str | None
    threshold: float | None
    window_seconds: float | None
    min_requests: int | None
    cooldown_seconds: float | None
    filters: dict[str, Any] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    enabled: bool = True
    created_at: str | None = None
    fired: int = 0
    last_fired_at: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent(Row):
    """One firing of a rule."""

    id: int
    alert_id: str
    fired_at: str
    value: float | None
    message: str | None


def _json(text: Any, empty: Any) -> Any:
    if not isinstance(text, str):
        return empty
    try:
        return json.loads(text)
    except ValueError:
        return empty


def stored_alerts(store: Store) -> list[StoredAlert]:
    """Every rule in the store (enabled or not), with its firing count and last firing."""
    store.flush()
    rows = store.query(
        "SELECT a.*, (SELECT count(*) FROM alert_events e WHERE e.alert_id = a.id) AS fired, "
        "(SELECT max(fired_at) FROM alert_events e WHERE e.alert_id = a.id) AS last_fired_at "
        "FROM alerts a ORDER BY a.enabled DESC, a.name"
    )
    return [
        StoredAlert(
            id=r["id"],
            name=r["name"],
            metric=r["metric"],
            threshold=r["threshold"],
            window_seconds=r["window_seconds"],
            min_requests=r["min_requests"],
            cooldown_seconds=r["cooldown_seconds"],
            filters=_json(r["filters"], {}),
            channels=_json(r["channels"], []),
            enabled=bool(r["enabled"]),
            created_at=r["created_at"],
            fired=int(r["fired"]),
            last_fired_at=r["last_fired_at"],
        )
        for r in rows
    ]


def alert_events(
    store: Store,
    alert_id: str | None = None,
    *,
    since: Any = None,
    until: Any = None,
    limit: int | None = 100,
    clock: Callable[[], float] = time.time,
) -> list[StoredEvent]:
    """Firings, newest first (of one rule, in a time range, at most ``limit``)."""
    clauses, params = ["1 = 1"], []
    if alert_id is not None:
        clauses.append("alert_id = ?")
        params.append(alert_id)
    for op, value, option in ((">=", since, "since"), ("<", until, "until")):
        stamp = parse_time(value, clock(), option)
        if stamp is not None:
            clauses.append(f"fired_at {op} ?")
            params.append(stamp)
    sql = (
        f"SELECT * FROM alert_events WHERE {' AND '.join(clauses)} ORDER BY fired_at DESC, id DESC"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    store.flush()
    return [
        StoredEvent(
            id=r["id"],
            alert_id=r["alert_id"],
            fired_at=r["fired_at"],
            value=r["value"],
            message=r["message"],
        )
        for r in store.query(sql, params)
    ]
