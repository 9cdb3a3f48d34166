"""Cooldown of failing targets, as LiteLLM's router does it, in process.

A target (provider, model, base URL) whose last ``failures`` attempts all failed is skipped for
a while: the provider's ``Retry-After`` if its last failure carried one, else ``seconds``. Any
answer that is not such a failure (a success, a 400) clears the count. While the count stays at
or above ``failures``, each further failure starts a new cooldown (a half-open circuit: after a
cooldown the target gets one try, and one more failure sends it back).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..pipeline._call import Target
from ._failure import Failure

__all__ = ["Cooldown", "counts_against"]

Key = tuple[str, str, str | None]

#: statuses that say "this target is unwell" (a 400 says "this request is wrong").
_UNWELL = frozenset({401, 403, 404, 408, 429})


def counts_against(failure: Failure) -> bool:
    """Whether ``failure`` counts towards a target's cooldown."""
    if failure.transient:
        return True
    return failure.kind == "status" and (failure.status in _UNWELL or failure.status >= 500)


@dataclass(slots=True)
class _State:
    count: int = 0
    until: float = 0.0


class Cooldown:
    """Shared by every call of one client; thread-safe; time from the injected ``monotonic``."""

    def __init__(self, failures: int, seconds: float, monotonic: Callable[[], float]) -> None:
        self.failures = failures
        self.seconds = seconds
        self._now = monotonic
        self._lock = threading.Lock()
        #: the targets failing or cooling down (empty: nothing is; Fallback reads that on
        #: every call instead of calling ``remaining`` / ``record``)
        self.state: dict[Key, _State] = {}

    @staticmethod
    def key(target: Target) -> Key:
        return (target.provider, target.model, target.base_url)

    def remaining(self, target: Target) -> float:
        """Seconds ``target`` still cools down for (0: it may be called)."""
        if not self.state:  # the common case: nothing is failing
            return 0.0
        state = self.state.get(self.key(target))
        if state is None or not state.until:
            return 0.0
        return max(state.until - self._now(), 0.0)

    def record(self, target: Target, failure: Failure | None) -> None:
        """Count one attempt's outcome against ``target``."""
        if failure is None and not self.state:  # the common case: nothing to clear
            return
        key = self.key(target)
        if failure is None or not counts_against(failure):
            if key in self.state:
                with self._lock:
                    self.state.pop(key, None)
            return
        with self._lock:
            state = self.state.setdefault(key, _State())
            state.count += 1
            if state.count >= self.failures:
                after = failure.retry_after
                wait = after if after is not None and after > 0 else self.seconds
                state.until = self._now() + wait
