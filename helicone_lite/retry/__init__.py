"""Retries and fallback: the ``Fallback`` layer walks a call's targets, the ``Retry`` layer
(inside it) retries one target with backoff; ``failure_of`` classifies errors; ``Cooldown``
skips targets that keep failing. User guide: docs/retries.md."""

from ._failure import Failure, failure_of
from ._fallback import Fallback
from ._retry import Attempt, Retry

__all__ = ["Attempt", "Failure", "Fallback", "Retry", "failure_of"]
