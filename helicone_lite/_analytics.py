"""Reports, feedback, scores and alerts on both clients (``client.feedback(...)`` …).

Mixed into ``Client`` and ``AsyncClient``. Everything is imported on first use: the reports
and alerts packages cost tens of milliseconds to import, which ``import helicone_lite`` must
not pay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .alerts import AlertEngine
    from .pipeline._runtime import Runtime
    from .reports import Reports

__all__ = ["AsyncDashboardMixin", "DashboardMixin"]

ScoreValue = int | float | bool


class _Common:
    _helicone_runtime: Runtime

    @property
    def reports(self) -> Reports:
        """Reports over this client's store (sessions, users, properties, costs, scores)."""
        from .reports import Reports

        runtime = self._helicone_runtime
        return Reports(runtime.store, clock=runtime.clock)

    @property
    def alerts(self) -> AlertEngine:
        """This client's alert rules: ``add(rule)``, ``remove(id)``, ``list()``, ``flush()``."""
        return self._helicone_runtime.alerts()

    def _alerts_if_any(self) -> AlertEngine | None:
        return self._helicone_runtime.alert_engine

    def _score(self, request: Any, values: Mapping[str, ScoreValue]) -> None:
        from .reports import score

        runtime = self._helicone_runtime
        score(runtime.store, request, values, clock=runtime.clock)

    def _session_score(self, session_id: str, values: Mapping[str, ScoreValue]) -> None:
        from .reports import session_score

        runtime = self._helicone_runtime
        session_score(runtime.store, session_id, values, clock=runtime.clock)


def _rating(rating: object) -> bool:
    if not isinstance(rating, bool):
        from ._errors import OptionsError

        raise OptionsError("rating", rating, "True (good) or False (bad)")
    return rating


_FEEDBACK = "helicone-score-feedback"


class DashboardMixin(_Common):
    """``Client``'s feedback and score methods (synchronous: a local SQLite write)."""

    def feedback(self, request: Any, rating: bool) -> None:
        """Rate a request (its id, or the response): score ``helicone-score-feedback`` 1/0.

        Raises ``UnknownRequestError`` (a ``ValueError`` naming the id) for an id this
        client's store never logged.
        """
        self._score(request, {_FEEDBACK: _rating(rating)})

    def score(self, request: Any, values: Mapping[str, ScoreValue]) -> None:
        """Attach named scores to a request: ``{"accuracy": 92, "tone": True}``."""
        self._score(request, values)

    def session_feedback(self, session_id: str, rating: bool) -> None:
        """Rate a whole session; ``UnknownSessionError`` if no logged request has it."""
        self._session_score(session_id, {_FEEDBACK: _rating(rating)})

    def session_score(self, session_id: str, values: Mapping[str, ScoreValue]) -> None:
        """Attach named scores to a whole session."""
        self._session_score(session_id, values)

    def close(self) -> None:
        engine = self._alerts_if_any()
        if engine is not None:
            engine.flush(5.0)  # deliver what the last calls fired
        super().close()  # type: ignore[misc]


class AsyncDashboardMixin(_Common):
    """``AsyncClient``'s: the same, awaited (the write runs in a worker thread)."""

    async def feedback(self, request: Any, rating: bool) -> None:
        await asyncio.to_thread(self._score, request, {_FEEDBACK: _rating(rating)})

    async def score(self, request: Any, values: Mapping[str, ScoreValue]) -> None:
        await asyncio.to_thread(self._score, request, values)

    async def session_feedback(self, session_id: str, rating: bool) -> None:
        await asyncio.to_thread(self._session_score, session_id, {_FEEDBACK: _rating(rating)})

    async def session_score(self, session_id: str, values: Mapping[str, ScoreValue]) -> None:
        await asyncio.to_thread(self._session_score, session_id, values)

    async def close(self) -> None:
        engine = self._alerts_if_any()
        if engine is not None:
            await asyncio.to_thread(engine.flush, 5.0)
        await super().close()  # type: ignore[misc]
