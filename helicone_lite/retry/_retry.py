"""Retry: the only retry loop (the SDKs below run with ``max_retries=0``).

Two backoffs, chosen per call:

* ``Helicone-Retry-Enabled: true`` — Helicone's: ``Helicone-Retry-Num`` retries (default 5);
  the wait before retry *k* (from 0) is ``min(U[1,2) · min · factor^k, max)`` (defaults: min
  1000 ms, factor 2, max 10000 ms); retried on 429, 5xx, connection errors and timeouts, never
  on other 4xx. The provider's newest ``retry-after-ms`` / ``Retry-After`` is honoured (the wait
  is at least that); if it asks for more than the max timeout, this target is not retried again
  (the fallback layer moves on).
* otherwise (not set, or ``false``) — exactly what ``openai.OpenAI(max_retries=N)`` would have done
  on its own, so a drop-in ``Client`` stays as robust as the SDK: ``N`` is the client's
  ``max_retries`` (default 2; ``client.configured_max_retries``), waits ``min(0.5 · 2^k, 8) s``
  minus up to 25 % jitter, or the provider's ``Retry-After`` when it is within 2 minutes (longer:
  no retry); retried on 408, 409, 429, 5xx, connection errors and timeouts, and as the provider's
  ``x-should-retry`` header says.

Each target of a fallback chain gets its own retries (this layer sits inside the fallback layer).
Every attempt is reported to the fallback layer in ``result.attempts``. Retry *k* (from 1) is
forwarded with ``request["retries_taken"] = k``, which the OpenAI adapters send as openai's
``x-stainless-retry-count`` header (openai sends the attempt number on its own retries).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from openai import DEFAULT_MAX_RETRIES

from ..pipeline._attempt import Attempt
from ..pipeline._call import Call, Forward, Result, Sleep
from ..pipeline._stack import Flow
from ._failure import Failure, failure_of

__all__ = ["Attempt", "Backoff", "HeliconeBackoff", "Retry", "SdkBackoff", "backoff_for"]

#: openai's own constants (openai/_constants.py), so the default matches the SDK exactly.
SDK_INITIAL_DELAY = 0.5
SDK_MAX_DELAY = 8.0
SDK_MAX_RETRY_AFTER = 120.0
HELICONE_RETRIES = 5
HELICONE_FACTOR = 2.0
HELICONE_MIN_MS = 1000.0
HELICONE_MAX_MS = 10000.0


class Backoff(Protocol):
    """How many retries, and the wait before retry ``k`` (from 0) after ``failure``."""

    @property
    def retries(self) -> int: ...

    def delay(self, k: int, failure: Failure, rng: random.Random) -> float | str:
        """Seconds to wait, or a reason (str) not to retry."""
        ...


@dataclass(frozen=True, slots=True)
class HeliconeBackoff:
    """``Helicone-Retry-*``: ``min(U[1,2) · minimum · factor^k, maximum)`` seconds."""

    retries: int = HELICONE_RETRIES
    factor: float = HELICONE_FACTOR
    minimum: float = HELICONE_MIN_MS / 1000
    maximum: float = HELICONE_MAX_MS / 1000

    def delay(self, k: int, failure: Failure, rng: random.Random) -> float | str:
        if failure.kind == "other":
            return "not a provider error"
        if not (failure.transient or failure.status == 429 or failure.status >= 500):
            return f"status {failure.status} is not retried"
        try:
            raw = (1.0 + rng.random()) * self.minimum * self.factor**k
        except OverflowError:
            raw = math.inf
        wait = min(raw, self.maximum)
        after = failure.retry_after
        if after is not None and after > 0:
            if after > self.maximum:
                return (
                    f"Retry-After {after:g} s exceeds Helicone-Retry-Max-Timeout "
                    f"{self.maximum * 1000:g} ms"
                )
            wait = max(wait, after)
        return wait


@dataclass(frozen=True, slots=True)
class SdkBackoff:
    """openai-python's own retry rule (``_should_retry`` / ``_calculate_retry_timeout``)."""

    retries: int = DEFAULT_MAX_RETRIES

    def delay(self, k: int, failure: Failure, rng: random.Random) -> float | str:
        after = failure.retry_after
        if failure.kind == "status":
            if after is not None and after > SDK_MAX_RETRY_AFTER:
                return f"Retry-After {after:g} s exceeds {SDK_MAX_RETRY_AFTER:g} s"
            if failure.should_retry is False:
                return "x-should-retry: false"
            retried = failure.status in (408, 409, 429) or failure.status >= 500
            if not (failure.should_retry or retried):
                return f"status {failure.status} is not retried"
        elif not failure.transient:
            return "not a provider error"
        if after is not None and 0 < after <= SDK_MAX_RETRY_AFTER:
            return after
        base = min(SDK_INITIAL_DELAY * 2.0 ** min(k, 1000), SDK_MAX_DELAY)
        return base * (1 - 0.25 * rng.random())


def backoff_for(call: Call) -> Backoff:
    """The backoff of ``call``: Helicone's when ``retry_enabled``, else the SDK's default."""
    opts = call.options
    if opts.retry_enabled:
        return HeliconeBackoff(
            retries=HELICONE_RETRIES if opts.retry_num is None else opts.retry_num,
            factor=HELICONE_FACTOR if opts.retry_factor is None else opts.retry_factor,
            minimum=(HELICONE_MIN_MS if opts.retry_min_timeout is None else opts.retry_min_timeout)
            / 1000,
            maximum=(HELICONE_MAX_MS if opts.retry_max_timeout is None else opts.retry_max_timeout)
            / 1000,
        )
    retries = getattr(call.origin, "configured_max_retries", DEFAULT_MAX_RETRIES)
    return SdkBackoff(retries=retries if isinstance(retries, int) else DEFAULT_MAX_RETRIES)


def _numbered(call: Call, retries_taken: int) -> Call:
    """``call`` as retry ``retries_taken`` sends it (the first attempt: ``call`` itself)."""
    if retries_taken == 0:
        return call
    return call.evolve(request={**call.request, "retries_taken": retries_taken})


class Retry:
    """Retries one target of a call with backoff (see the module docstring)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        """``clock`` reads HTTP-date Retry-Afters and stamps attempts, ``monotonic`` times
        them, ``rng`` jitters the waits."""
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()

    def handle(self, call: Call) -> Flow:
        attempts: list[Attempt] = []
        wait = 0.0
        while True:
            wall, started = self._clock(), self._monotonic()
            result: Result = yield Forward(_numbered(call, len(attempts)))
            after = self._attempted(call, result, attempts, wall, started, wait)
            if after is None:
                return result
            wait = after
            yield Sleep(wait)

    def handle_sync(
        self, call: Call, forward: Callable[[Call], Result], sleep: Callable[[float], None]
    ) -> Result:
        """``handle`` for the sync driver (pipeline/_stack.py): the same, without a generator."""
        attempts: list[Attempt] = []
        wait = 0.0
        while True:
            wall, started = self._clock(), self._monotonic()
            result = forward(_numbered(call, len(attempts)) if attempts else call)
            after = self._attempted(call, result, attempts, wall, started, wait)
            if after is None:
                return result
            wait = after
            sleep(wait)

    def _attempted(
        self,
        call: Call,
        result: Result,
        attempts: list[Attempt],
        wall: float,
        started: float,
        wait: float,
    ) -> float | None:
        """Record the attempt that answered ``result``; the wait before the next one, or None
        when this was the last (``result`` then carries every attempt)."""
        latency = (self._monotonic() - started) * 1000
        failure = None if result.error is None else failure_of(result.error, self._clock)
        attempt = Attempt(
            call.target_index,
            call.targets[call.target_index],  # call.target without its frame
            200 if failure is None else failure.status,
            result.error,
            latency,
            wait * 1000,
            wall,
            failure,
        )
        attempts.append(attempt)
        after = None if failure is None else self._next_wait(call, failure, attempt, attempts)
        if after is None:
            result.log["attempts"] = len(attempts)
            result.attempts = attempts
        return after

    def _next_wait(
        self, call: Call, failure: Failure, attempt: Attempt, attempts: list[Attempt]
    ) -> float | None:
        """The wait before retry ``k`` (attempts so far, minus 1), or None: no retry (noted)."""
        backoff = backoff_for(call)
        k = len(attempts) - 1
        if k >= backoff.retries:
            attempt.note = f"retries exhausted ({backoff.retries})" if backoff.retries else None
            return None
        decision = backoff.delay(k, failure, self._rng)
        if isinstance(decision, str):
            attempt.note = f"not retried: {decision}"
            return None
        return max(decision, 0.0)
