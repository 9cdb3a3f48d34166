"""Feedback and scores: writing them (with the client or on a bare store) and reporting them.

Helicone's model: a request can carry named scores (integer, float or boolean); feedback is
the boolean score ``helicone-score-feedback`` (1 = good, 0 = bad); a session can carry
feedback too. Scores are product data, written synchronously, so a report right after sees
them. A later score of the same name replaces the earlier one.

>>> # client.feedback(response, True); client.score(rid, {"accuracy": 92, "tone": True})
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._errors import HeliconeLiteError, OptionsError
from ..store import Store, utcnow_iso
from ..store._reports_schema import SCORE_GROUPS
from ._filters import Filters
from ._rows import ScoreRow, ScoreValue
from ._score_rollup import rolled_means, user_means
from ._sql import Reader

__all__ = [
    "FEEDBACK",
    "UnknownRequestError",
    "UnknownSessionError",
    "feedback",
    "request_id_of",
    "score",
    "score_means",
    "scores",
    "scores_of",
    "session_feedback",
    "session_score",
]

FEEDBACK = "helicone-score-feedback"
Clock = Callable[[], float]

#: the groups ``scores(by=...)`` knows (and ``property:NAME``)
GROUPS = tuple(SCORE_GROUPS)


class UnknownRequestError(HeliconeLiteError, ValueError):
    """Feedback or a score for a request id the store has never logged."""

    def __init__(self, request_id: str, where: object) -> None:
        self.request_id = request_id
        super().__init__(f"no request with id {request_id!r} in {where}")


class UnknownSessionError(HeliconeLiteError, ValueError):
    """Feedback for a session id no logged request carries."""

    def __init__(self, session_id: str, where: object) -> None:
        self.session_id = session_id
        super().__init__(f"no request of session {session_id!r} in {where}")


def request_id_of(request: Any) -> str:
    """A request id, or the ``Helicone-Id`` of a response or stream returned by the client."""
    if isinstance(request, str) and request:
        return request
    headers = getattr(request, "headers", None)
    if headers is not None:
        found = headers.get("Helicone-Id") or headers.get("helicone-id")
        if isinstance(found, str) and found:
            return found
    raise OptionsError("request_id", request, "a request id, or a response of this client")


def _typed(name: object, value: object, option: str) -> tuple[str, float, str]:
    if not isinstance(name, str) or not name.strip():
        raise OptionsError(option, name, "a non-empty score name")
    if isinstance(value, bool):
        return name, float(value), "bool"
    if isinstance(value, int):
        return name, float(value), "int"
    if isinstance(value, float) and math.isfinite(value):
        return name, value, "float"
    raise OptionsError(f"{option}[{name!r}]", value, "an int, a finite float or a bool")


def _rating(rating: object) -> bool:
    if not isinstance(rating, bool):
        raise OptionsError("rating", rating, "True (good) or False (bad)")
    return rating


def _validated(values: Mapping[str, ScoreValue], option: str) -> list[tuple[str, float, str]]:
    if not isinstance(values, Mapping) or not values:
        raise OptionsError(option, values, 'a non-empty mapping such as {"accuracy": 92}')
    return [_typed(name, value, option) for name, value in values.items()]


def score(
    store: Store, request: Any, values: Mapping[str, ScoreValue], *, clock: Clock = time.time
) -> None:
    """Attach named scores (int, float or bool, kept with their type) to a logged request.

    Raises :class:`UnknownRequestError` (a ``ValueError`` naming the id) if the store has no
    such request, and ``OptionsError`` for a bad name or value.
    """
    request_id = request_id_of(request)
    rows = _validated(values, "scores")
    store.flush()  # the request's own row may still be queued for the writer
    conn = store.connect()
    if conn.execute("SELECT 1 FROM requests WHERE id = ?", (request_id,)).fetchone() is None:
        raise UnknownRequestError(request_id, store.location)
    now = utcnow_iso(clock)
    with store.transaction() as tx:
        tx.executemany(
            "INSERT OR REPLACE INTO scores (request_id, name, value, value_type, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(request_id, name, value, kind, now) for name, value, kind in rows],
        )


def feedback(store: Store, request: Any, rating: bool, *, clock: Clock = time.time) -> None:
    """Thumbs up (True) or down (False) on a request: score ``helicone-score-feedback``."""
    score(store, request, {FEEDBACK: _rating(rating)}, clock=clock)


def session_score(
    store: Store, session_id: str, values: Mapping[str, ScoreValue], *, clock: Clock = time.time
) -> None:
    """Named scores on a whole session. :class:`UnknownSessionError` if no request has it."""
    if not isinstance(session_id, str) or not session_id:
        raise OptionsError("session_id", session_id, "a session id")
    rows = _validated(values, "scores")
    store.flush()
    conn = store.connect()
    found = conn.execute("SELECT 1 FROM requests WHERE session_id = ? LIMIT 1", (session_id,))
    if found.fetchone() is None:
        raise UnknownSessionError(session_id, store.location)
    now = utcnow_iso(clock)
    with store.transaction() as tx:
        tx.executemany(
            "INSERT OR REPLACE INTO session_scores (session_id, name, value, value_type, "
            "created_at) VALUES (?, ?, ?, ?, ?)",
            [(session_id, name, value, kind, now) for name, value, kind in rows],
        )


def session_feedback(
    store: Store, session_id: str, rating: bool, *, clock: Clock = time.time
) -> None:
    """Thumbs up or down on a session (score ``helicone-score-feedback`` of the session)."""
    session_score(store, session_id, {FEEDBACK: _rating(rating)}, clock=clock)


def typed_value(value: float, kind: str | None) -> ScoreValue:
    """A stored score back as the type it was given with."""
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    return float(value)


def scores_of(store: Store, request: Any) -> dict[str, ScoreValue]:
    """The scores of one request, typed (``{"accuracy": 92, "tone": True}``)."""
    rows = Reader(store).rows(
        "SELECT name, value, value_type FROM scores WHERE request_id = ? ORDER BY name",
        (request_id_of(request),),
    )
    return {r["name"]: typed_value(r["value"], r["value_type"]) for r in rows}


def _scored(
    filters: Filters, now: float, group: str, property_name: str | None = None
) -> tuple[str, list[Any], int]:
    """SQL for score aggregates per ``group`` (and score name): ``(sql, params, key width)``.

    score_facts carries each score's request columns, so nothing is looked up per score; each
    group has its own covering index, so nothing is sorted (but the user group on SQLite
    from ``SCORE_TIME_MIGRATION``: its index leads with the time); per property value,
    ``score_property_facts`` is ordered by (property, value, score) to the same effect.
    The facts carry no cache status: a ``cache_status`` filter does not narrow scores.
    """
    unhit = dataclasses.replace(filters, cache_status=None)
    if property_name is not None:
        where, params = unhit.where(now, alias="s.")
        sql = (
            f"SELECT s.value AS k0, {_ON_PROPERTY} FROM score_property_facts s "
            f"WHERE s.name = ? AND {where} GROUP BY s.value, s.score"
        )
        return sql, [property_name, *params], 1
    prop = unhit.first_property()
    if prop is not None and _PROPERTY_FACT_GROUPS.issuperset(SCORE_GROUPS[group]):
        return _scored_in_value(unhit, now, group, prop)
    where, params = unhit.where(now, alias="s.")
    aggregates = _AGGREGATES
    columns = [f"s.{c}" for c in SCORE_GROUPS[group]]
    keys = "".join(f"{c} AS k{i}, " for i, c in enumerate(columns))
    sql = (
        f"SELECT {keys}{aggregates} FROM score_facts s INDEXED BY idx_score_facts_{group} "
        f"WHERE {where} GROUP BY {', '.join([*columns, 's.name'])}"
    )
    return sql, params, len(columns)


_AGGREGATES = (
    "s.name AS name, count(*) AS n, avg(s.value) AS mean, min(s.value) AS low, max(s.value) AS high"
)
#: the same aggregates over ``score_property_facts`` (its score is ``score``/``score_value``)
_ON_PROPERTY = _AGGREGATES.replace("s.value", "s.score_value").replace("s.name", "s.score")
#: the groups ``score_property_facts`` carries the columns of (not ``session_path``)
_PROPERTY_FACT_GROUPS = frozenset(
    ("model", "provider", "user_id", "prompt_id", "prompt_version", "session_id")
)


def _scored_in_value(
    filters: Filters, now: float, group: str, prop: tuple[str, str]
) -> tuple[str, list[Any], int]:
    """Score aggregates per ``group`` of the requests with property ``prop`` (and the other
    filters): the value's range of ``score_property_facts`` (each of its scores once, with
    its request's columns) instead of every scored request tested against the value's
    ``property_facts`` (a semi-join: ~1 s of server CPU for the users of one department at
    10,000,000 requests)."""
    name, value = prop
    where, params = filters.where(now, alias="s.", skip_property=name)
    columns = [f"s.{c}" for c in SCORE_GROUPS[group]]
    keys = "".join(f"{c} AS k{i}, " for i, c in enumerate(columns))
    sql = (
        f"SELECT {keys}{_ON_PROPERTY} FROM score_property_facts s "
        f"WHERE s.name = ? AND s.value = ? AND {where} GROUP BY {', '.join([*columns, 's.score'])}"
    )
    return sql, [name, value, *params], len(columns)


def _key(row: Mapping[str, Any], width: int) -> Any:
    if width == 0:
        return None
    if width == 1:
        return row["k0"]
    prompt, version = row["k0"], row["k1"]  # the prompt group: "triage v2"
    return None if prompt is None else f"{prompt} v{'?' if version is None else version}"


def score_means(
    reader: Reader,
    filters: Filters,
    now: float,
    group: str,
    *,
    property_name: str | None = None,
    keys: Sequence[Any] | None = None,
) -> dict[Any, dict[str, float]]:
    """``{group key: {score name: mean}}`` over the scored requests ``filters`` selects;
    ``group`` is one of :data:`GROUPS` (or pass ``property_name``). ``keys``: only these
    groups (a one-column group; a few hundred at most, each a range of the group's index:
    the 200 users of a page instead of every scored request, 90 -> 5 ms on 1M requests)."""
    if keys is None:  # models, providers, summary, properties
        rolled = rolled_means(reader, filters, now, group, property_name)
        if rolled is not None:
            return rolled
    if group == "user" and property_name is None and (keys is None or len(keys) > _KEYS):
        every = user_means(reader, filters, now)  # (PostgreSQL: rollup_user_scores)
        if every is not None:
            return every if keys is None else {k: every[k] for k in keys if k in every}
    sql, params, width = _scored(filters, now, group, property_name)
    columns = SCORE_GROUPS.get(group, ())
    if keys is not None and property_name is None and len(columns) == 1 and len(keys) <= _KEYS:
        sql, params = _only(sql, params, f"s.{columns[0]}", keys)
    out: dict[Any, dict[str, float]] = {}
    for row in reader.rows(sql, params):
        out.setdefault(_key(row, width), {})[row["name"]] = float(row["mean"])
    return out


_KEYS = 500


def _only(sql: str, params: list[Any], column: str, keys: Sequence[Any]) -> tuple[str, list[Any]]:
    """``sql`` narrowed to ``column`` in ``keys`` (None matching NULL)."""
    values = [k for k in keys if k is not None]
    tests = [f"{column} IN ({', '.join('?' * len(values))})"] if values else []
    if len(values) < len(keys):
        tests.append(f"{column} IS NULL")
    test = " OR ".join(tests) or "1 = 0"  # (PostgreSQL: a boolean, not the integer 0)
    head, _, tail = sql.partition(" GROUP BY ")
    return f"{head} AND ({test}) GROUP BY {tail}", [*params, *values]


def scores(reader: Reader, filters: Filters, now: float, by: str = "model") -> list[ScoreRow]:
    """Mean, min and max of every score per group: ``by`` is ``model``, ``provider``,
    ``user``, ``prompt`` (id and version), ``path`` (session node), ``session``, ``all``,
    or ``property:NAME``."""
    property_name = None
    if by.startswith("property:") and by[len("property:") :].strip():
        property_name = by[len("property:") :].strip().lower()
        dimension = f"property:{property_name}"
    elif by in SCORE_GROUPS:
        dimension = by
    else:
        raise OptionsError("by", by, ", ".join([*GROUPS, "property:NAME"]))
    sql, params, width = _scored(filters, now, by, property_name)
    rows = [
        ScoreRow(
            dimension=dimension,
            key=_key(r, width),
            name=r["name"],
            count=int(r["n"]),
            mean=float(r["mean"]),
            min=float(r["low"]),
            max=float(r["high"]),
        )
        for r in reader.rows(sql, params)
    ]
    rows.sort(key=lambda r: ("" if r.key is None else str(r.key), r.name))
    return rows
