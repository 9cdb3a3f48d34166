"""``Reports``: the dashboard's data over one store, as typed rows.

>>> reports = Reports(client.store)                        # doctest: +SKIP
>>> reports.users(Filters(since="7d"))[0].p95_latency_ms    # doctest: +SKIP
>>> reports.session(session_id).node("/triage/analysis").cost_usd  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .._errors import OptionsError
from ..store import Store
from . import _export, _requests, _scores, _sessions, _threats, _timeseries, _usage
from ._filters import Filters
from ._requests import LatencyPercentiles, RequestDetail, RequestPage
from ._rows import (
    CacheSavings,
    CostBucket,
    GroupRow,
    PropertyName,
    ScoreRow,
    ScoreValue,
    SessionRow,
    ThreatRow,
    UserRow,
)
from ._sql import Reader
from ._tree import SessionTree

__all__ = ["BREAKDOWNS", "Reports"]

#: dimensions ``breakdown(by=...)`` and ``costs(by=...)`` accept (and ``property:NAME``).
BREAKDOWNS = ("model", "provider", "user", "property:NAME")

_NONE = Filters()


class Reports:
    """Read API over a :class:`~helicone_lite.store.Store` (or a path to one).

    Every report takes an optional :class:`Filters` and returns frozen dataclasses with
    ``to_dict()``. Reports flush the store's writer first, so calls just made are included.
    ``clock`` (epoch seconds) anchors relative filters such as ``since="7d"``.
    ``rollups=False`` reads raw rows only (the hourly rollups give the same figures faster;
    see docs/reports.md).
    """

    def __init__(
        self,
        store: Store | str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        rollups: bool = True,
    ) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        self._reader = Reader(self.store, rollups=rollups)
        self._clock = clock

    def _now(self) -> float:
        return self._clock()

    # --- requests ---

    def requests(
        self,
        filters: Filters | None = None,
        *,
        sort: str = "time",
        descending: bool = True,
        page: int = 1,
        per_page: int = 50,
    ) -> RequestPage:
        """One page of the matching requests (``sort``: time, cost, latency, tokens, model,
        status, user) and how many match in all."""
        return _requests.request_page(
            self._reader,
            filters or _NONE,
            self._now(),
            sort=sort,
            descending=descending,
            page=page,
            per_page=per_page,
        )

    def request(self, request_id: str) -> RequestDetail:
        """One request in full: every column (JSON decoded), its attempts and scores."""
        return _requests.request_detail(self._reader, request_id)

    def latency(
        self, filters: Filters | None = None, *, sample: int = 50_000
    ) -> LatencyPercentiles:
        """p50/p95 latency over the ``sample`` most recent matching requests."""
        return _requests.latency_percentiles(
            self._reader, filters or _NONE, self._now(), sample=sample
        )

    # --- sessions ---

    def sessions(
        self, filters: Filters | None = None, *, limit: int | None = 50, sort: str = "recent"
    ) -> list[SessionRow]:
        """Sessions, most recent first (``sort``: recent, cost, requests, tokens, errors,
        duration); ``limit=None`` for all."""
        return _sessions.sessions(
            self._reader, filters or _NONE, self._now(), limit=limit, sort=sort
        )

    def session(self, session_id: str, filters: Filters | None = None) -> SessionTree:
        """One session (its id or a unique prefix) as a tree of path nodes."""
        return _sessions.session_tree(self._reader, session_id, filters or _NONE, self._now())

    # --- users, properties, models ---

    def users(
        self,
        filters: Filters | None = None,
        *,
        limit: int | None = 50,
        sort: str = "cost",
        with_scores: bool = True,
    ) -> list[UserRow]:
        """Per user, costliest first (``sort``: cost, requests, tokens, errors, latency,
        recent, name); ``limit=None`` for all; ``with_scores=False`` skips the mean scores
        (each row's ``scores`` empty) for a view that does not show them."""
        return _usage.users(
            self._reader,
            filters or _NONE,
            self._now(),
            limit=limit,
            sort=sort,
            with_scores=with_scores,
        )

    def threats(
        self,
        filters: Filters | None = None,
        *,
        limit: int | None = 50,
        sort: str = "threats",
        include_clean: bool = False,
    ) -> list[ThreatRow]:
        """Per user, the calls LLM security flagged or blocked, by category (``sort``: threats,
        blocked, score, recent, rate, name); users with no threat only if ``include_clean``."""
        return _threats.threats(
            self._reader,
            filters or _NONE,
            self._now(),
            limit=limit,
            sort=sort,
            include_clean=include_clean,
        )

    def properties(
        self,
        name: str,
        filters: Filters | None = None,
        *,
        limit: int | None = None,
        sort: str = "cost",
    ) -> list[GroupRow]:
        """Per value of property ``name`` (``"department"``): requests, cost, tokens, …"""
        return _usage.properties(
            self._reader, name, filters or _NONE, self._now(), limit=limit, sort=sort
        )

    def property_names(self, filters: Filters | None = None) -> list[PropertyName]:
        """The property names in use, with their request and distinct-value counts."""
        return _usage.property_names(self._reader, filters or _NONE, self._now())

    def models(
        self,
        filters: Filters | None = None,
        *,
        limit: int | None = None,
        sort: str = "cost",
        with_scores: bool = True,
    ) -> list[GroupRow]:
        """Per model asked for (with its provider); ``with_scores=False``: no mean scores."""
        return _usage.models(
            self._reader,
            filters or _NONE,
            self._now(),
            limit=limit,
            sort=sort,
            with_scores=with_scores,
        )

    def providers(
        self, filters: Filters | None = None, *, limit: int | None = None, sort: str = "cost"
    ) -> list[GroupRow]:
        """Per provider."""
        return _usage.providers(self._reader, filters or _NONE, self._now(), limit=limit, sort=sort)

    def summary(self, filters: Filters | None = None) -> GroupRow:
        """Everything ``filters`` selects, as one row (``dimension="all"``)."""
        return _usage.summary(self._reader, filters or _NONE, self._now())

    def breakdown(
        self,
        by: str,
        filters: Filters | None = None,
        *,
        limit: int | None = None,
        sort: str = "cost",
    ) -> list[GroupRow]:
        """Grouped by ``model``, ``provider``, ``user`` or ``property:NAME``."""
        if by in ("model", "provider"):
            method = self.models if by == "model" else self.providers
            return method(filters, limit=limit, sort=sort)
        if by == "user":
            return [_user_group(u) for u in self.users(filters, limit=limit, sort=sort)]
        if by.startswith("property:") and by[len("property:") :].strip():
            return self.properties(by[len("property:") :], filters, limit=limit, sort=sort)
        raise OptionsError("by", by, ", ".join(BREAKDOWNS))

    # --- cost over time, cache ---

    def costs(
        self,
        filters: Filters | None = None,
        *,
        every: str = "day",
        by: str | None = None,
        top: int = 8,
    ) -> list[CostBucket]:
        """Requests, cost and tokens per UTC ``every`` (hour, day, week) bucket; with ``by``
        (a :data:`BREAKDOWNS` value) one row per bucket and group: the ``top`` costliest
        groups, the rest as ``"(other)"``."""
        return _timeseries.costs(
            self._reader,
            filters or _NONE,
            self._now(),
            every=every,
            by=by,
            top=top,
        )

    def cache_savings(self, filters: Filters | None = None) -> CacheSavings:
        """Cache hits, hit rate, and the money and tokens they saved."""
        return _timeseries.cache_savings(self._reader, filters or _NONE, self._now())

    # --- scores ---

    def scores(self, filters: Filters | None = None, *, by: str = "model") -> list[ScoreRow]:
        """Mean/min/max of every score per ``by``: model, provider, user, prompt (id and
        version), path (session node), session, all, or property:NAME."""
        return _scores.scores(self._reader, filters or _NONE, self._now(), by)

    def scores_of(self, request: Any) -> dict[str, ScoreValue]:
        """One request's scores, typed as given."""
        return _scores.scores_of(self.store, request)

    def feedback(self, request: Any, rating: bool) -> None:
        """Rate a request (True = good): score ``helicone-score-feedback`` = 1/0."""
        _scores.feedback(self.store, request, rating, clock=self._clock)

    def score(self, request: Any, values: Mapping[str, ScoreValue]) -> None:
        """Attach named int/float/bool scores to a request."""
        _scores.score(self.store, request, values, clock=self._clock)

    def session_feedback(self, session_id: str, rating: bool) -> None:
        """Rate a whole session."""
        _scores.session_feedback(self.store, session_id, rating, clock=self._clock)

    def session_score(self, session_id: str, values: Mapping[str, ScoreValue]) -> None:
        """Attach named scores to a whole session."""
        _scores.session_score(self.store, session_id, values, clock=self._clock)

    # --- export ---

    def export_columns(self, *, bodies: bool = False) -> list[str]:
        """The columns :meth:`export` yields (bodies and headers only if ``bodies``)."""
        return _export.export_columns(self._reader, bodies=bodies)

    def export_count(self, filters: Filters | None = None) -> int:
        return _export.export_count(self._reader, filters or _NONE, self._now())

    def export(
        self,
        filters: Filters | None = None,
        *,
        columns: Sequence[str] | None = None,
        bodies: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The matching requests, oldest first, streamed."""
        chosen = list(columns) if columns else self.export_columns(bodies=bodies)
        return _export.export_rows(self._reader, filters or _NONE, self._now(), chosen)


def _user_group(row: UserRow) -> GroupRow:
    return GroupRow(
        dimension="user",
        key=row.user_id,
        requests=row.requests,
        cost_usd=row.cost_usd,
        tokens=row.tokens,
        avg_latency_ms=row.avg_latency_ms,
        errors=row.errors,
        error_rate=row.error_rate,
        cache_hits=row.cache_hits,
        cache_hit_rate=row.cache_hit_rate,
        first_at=row.first_seen,
        last_at=row.last_seen,
        scores=row.scores,
    )
