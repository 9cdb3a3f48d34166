"""What retry and fallback tell each other and the log: one attempt and how it failed.

These are call values (like :class:`~helicone_lite.pipeline.Result`), so ``Result.attempts``
is typed without the pipeline importing a feature package. ``retry._failure.failure_of``
classifies an error into a :class:`Failure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ._call import Target

__all__ = ["Attempt", "Failure", "FailureKind"]

FailureKind = Literal["status", "connection", "timeout", "other"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt.

    ``status`` is the HTTP status (0 for connection errors, timeouts and other errors);
    ``retry_after`` the provider's requested wait in seconds (``retry-after-ms`` preferred over
    ``Retry-After``, which may be seconds or an HTTP date); ``should_retry`` the provider's
    ``x-should-retry`` header (``None`` when absent); ``context_length`` whether the request is too
    long for this model (another model may take it).
    """

    kind: FailureKind
    status: int = 0
    retry_after: float | None = None
    should_retry: bool | None = None
    context_length: bool = False

    @property
    def transient(self) -> bool:
        """A connection error or a timeout: nothing was answered."""
        return self.kind in ("connection", "timeout")


@dataclass(slots=True)
class Attempt:
    """One provider call (or one skipped target): a row of the ``attempts`` table."""

    target_index: int
    target: Target
    status: int
    error: BaseException | None
    latency_ms: float
    wait_ms: float
    started_wall: float
    failure: Failure | None = None
    note: str | None = None
    skipped: bool = False
