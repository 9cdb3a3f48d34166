"""The rate limiter: ``Helicone-RateLimit-Policy``, admitted or answered with a local 429.

It sits after the cache (a hit is never counted) and before fallback and retry (one user call
is one request, however many attempts it takes). Every policy of a call must admit it, all or
nothing; a refused call never reaches the provider. ``u=cents`` and ``u=tokens`` reserve an
upper-bound estimate before the call and settle to the real amount after it (on a stream: at
its end), so concurrent calls cannot overspend a budget by more than their estimates were
wrong. See docs/ratelimits.md.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .._assemble import usage_of
from .._cost import Usage
from .._errors import OptionsError, status_error
from ..options import RateLimitPolicy
from ..options._policy import policy_segment, quota_text
from ..pipeline._call import Blocking, Call, Forward, Result, StreamObserver
from ..pipeline._stack import Flow
from . import BackendError, Bucket, Buckets, Decision
from ._bucket import EPSILON, reset_seconds
from ._estimate import Prices, completion_bound, prompt_bound

__all__ = ["MESSAGE", "RateLimiter"]

_log = logging.getLogger("helicone_lite")

#: Helicone's own wording, so code matching on it keeps working.
MESSAGE = (
    "Helicone user was rate limit via Helicone-RateLimit-Policy header. "
    "Please wait before making more requests."
)


#: (policy, segment) buckets remembered per limiter before it starts over
_KNOWN_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class _Estimate:
    prompt: int
    completion: int


_NO_ESTIMATE = _Estimate(0, 0)


class RateLimiter:
    """Admits a call when every bucket of its policies has room; settles cents and tokens."""

    def __init__(
        self,
        open_buckets: Callable[[], Buckets],
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        fail_open: bool = False,
        breaker_seconds: float = 5.0,
    ) -> None:
        """``open_buckets()`` opens the bucket store on the first limited call (blocking I/O,
        run as a ``Blocking`` effect); ``fail_open``: admit calls when the store fails."""
        self._open_buckets = open_buckets
        self._clock = clock
        self._monotonic = monotonic
        self._fail_open = fail_open
        self._prices = Prices()
        self._lock = threading.Lock()
        self._buckets: Buckets | None = None
        self._reported: set[str] = set()
        #: the circuit breaker: the store is not touched before this monotonic time
        self._open_until = 0.0
        self._breaker = float(breaker_seconds)
        #: (policy, segment) -> its bucket with amount 1: a call's buckets are built from
        #: these (the policy's resolved text costs a validated RateLimitPolicy and formatting)
        self._known: dict[tuple[RateLimitPolicy, tuple[str, str]], Bucket] = {}

    @property
    def buckets(self) -> Buckets:
        """The bucket store: Redis when ``redis_url`` is set, else ``<home>/ratelimit.slots``."""
        if self._buckets is None:
            with self._lock:
                if self._buckets is None:
                    self._buckets = self._open_buckets()
        return self._buckets

    def close(self) -> None:
        """Close the bucket store, if a call opened it. Idempotent."""
        with self._lock:
            buckets, self._buckets = self._buckets, None
        if buckets is not None:
            buckets.close()

    def wants(self, call: Call) -> bool:
        """Whether ``call`` carries a policy (else the drivers skip this layer)."""
        return bool(call.options.ratelimit_policy)

    def handle(self, call: Call) -> Flow:
        policies = call.options.ratelimit_policy
        if not policies:
            result: Result = yield Forward(call)
            return result
        metered, buckets = self._plan(call, policies)
        try:
            decision: Decision = yield Blocking(partial(self._take, buckets))
        except BackendError as exc:
            if not self._fail_open:
                return self._unavailable(exc)
            self._report("take", exc)
            result = yield Forward(call)
            return result
        if not decision.admitted:
            return _refused(buckets, decision)
        result = yield Forward(call)
        levels = decision.tokens
        if result.stream is not None and result.error is None:
            result.observe(_Settle(self, call, buckets, result))
        elif metered:
            settled = yield Blocking(partial(self.settle, call, buckets, result, None))
            levels = settled or levels
        result.headers.update(_headers(buckets, levels))
        return result

    def handle_sync(
        self, call: Call, forward: Callable[[Call], Result], sleep: Callable[[float], None]
    ) -> Result:
        """``handle`` for the sync driver (pipeline/_stack.py): the same, without a generator
        (its ``Blocking`` effects are plain calls, as the sync driver makes them)."""
        policies = call.options.ratelimit_policy
        if not policies:
            return forward(call)
        metered, buckets = self._plan(call, policies)
        try:
            decision = self._take(buckets)
        except BackendError as exc:
            if not self._fail_open:
                return self._unavailable(exc)
            self._report("take", exc)
            return forward(call)
        if not decision.admitted:
            return _refused(buckets, decision)
        result = forward(call)
        levels = decision.tokens
        if result.stream is not None and result.error is None:
            result.observe(_Settle(self, call, buckets, result))
        elif metered:
            levels = self.settle(call, buckets, result, None) or levels
        result.headers.update(_headers(buckets, levels))
        return result

    def _plan(
        self, call: Call, policies: Sequence[RateLimitPolicy]
    ) -> tuple[bool, list[Bucket]]:
        """Whether a policy is metered (cents or tokens: estimated, settled), and the call's
        buckets."""
        # request buckets never need an estimate, nor settle (one test, not one per use)
        metered = any(p.unit != "request" for p in policies)
        estimate = _NO_ESTIMATE
        if metered:
            estimate = _Estimate(
                prompt_bound(call.params), completion_bound(call.params, call.kind)
            )
        return metered, [self._bucket(call, p, estimate) for p in policies]

    # --- the circuit breaker ---

    def _take(self, buckets: Sequence[Bucket]) -> Decision:
        """``take`` through the breaker: while it is open, fail at once (no store call, so a
        frozen Redis costs one timeout per ``ratelimit_breaker_seconds``, not one per call)."""
        now = self._monotonic()
        if now < self._open_until:
            raise BackendError("rate-limit store skipped: the circuit breaker is open")
        try:
            decision = self.buckets.take(buckets, self._clock())
        except BackendError:
            self._trip()
            raise
        self._open_until = 0.0
        return decision

    def _trip(self) -> None:
        with self._lock:
            self._open_until = self._monotonic() + self._breaker

    # --- reservation ---

    def _bucket(self, call: Call, policy: RateLimitPolicy, estimate: _Estimate) -> Bucket:
        segment = policy_segment(policy, call.options.user_id, call.options.properties)
        known = self._known.get((policy, segment))
        if known is None:
            known = Bucket.of(policy, segment, policy.normalised(), 1.0)
            if len(self._known) >= _KNOWN_LIMIT:  # per-user segments: bounded, start over
                self._known.clear()
            self._known[(policy, segment)] = known
        if policy.unit == "request":
            return known
        if policy.unit == "tokens":
            amount = float(estimate.prompt + estimate.completion)
        else:
            amount = self._cents_bound(call, policy, estimate)
        return known.reserving(amount)

    def _cents_bound(self, call: Call, policy: RateLimitPolicy, estimate: _Estimate) -> float:
        bounds = []
        for target in call.targets:
            prices = self._prices.get(
                call.options.model_override or target.model, target.adapter.price_provider
            )
            if prices is not None:
                bounds.append(prices.estimate_cents(estimate.prompt, estimate.completion))
        if not bounds:
            raise OptionsError(
                "Helicone-RateLimit-Policy",
                policy.normalised(),
                f"a model genai-prices can price for u=cents ({call.model!r} has no price; set "
                "Helicone-Model-Override to a priced model, or use u=tokens / u=request)",
            )
        return max(bounds)

    # --- settlement ---

    def settle(
        self,
        call: Call,
        buckets: Sequence[Bucket],
        result: Result,
        usage: Usage | None,
        *,
        streamed: bool = False,
    ) -> tuple[float, ...] | None:
        """Move each cents/tokens bucket from its reservation to the real amount.

        ``streamed``: a stream that failed after sending something (it may be billed)."""
        if result.error is None and usage is None and result.response is not None:
            usage = _usage(usage_of(result.response), result.log)
        changes = []
        for bucket in buckets:
            if bucket.unit == "request":
                changes.append((bucket, 0.0))
                continue
            actual = self._actual(call, bucket, result, usage, streamed)
            changes.append((bucket, 0.0 if actual is None else actual - bucket.amount))
            if actual is not None and actual > bucket.amount + EPSILON:
                self._overshoot(bucket, actual, result)
        if all(delta == 0.0 for _, delta in changes):
            return None
        if self._monotonic() < self._open_until:
            return None  # the breaker is open: the reservation stays (the safe side)
        try:
            return self.buckets.adjust(changes, self._clock())
        except BackendError as exc:  # the reservation stays: the safe side
            self._trip()
            self._report("settle", exc)
            return None

    def _actual(
        self, call: Call, bucket: Bucket, result: Result, usage: Usage | None, streamed: bool
    ) -> float | None:
        """What the call really cost in the bucket's unit; None keeps the reservation."""
        if result.error is not None and usage is None:
            return None if streamed else 0.0
        if usage is None:
            return None
        if bucket.unit == "tokens":
            return float(usage.prompt_tokens + usage.completion_tokens)
        index = result.log.get("fallback_index", call.target_index)
        target = call.targets[index] if 0 <= index < len(call.targets) else call.target
        prices = self._prices.get(
            call.options.model_override or target.model, target.adapter.price_provider
        )
        return None if prices is None else prices.cents(usage)

    def _overshoot(self, bucket: Bucket, actual: float, result: Result) -> None:
        """Report a call that cost more than its reservation (the estimate was too low, e.g.
        no ``max_tokens``): the excess is in a reply header, and warned about once per policy."""
        excess = actual - bucket.amount
        result.headers["Helicone-RateLimit-Overshoot"] = f"{excess:.6g};u={bucket.unit}"
        key = f"overshoot:{bucket.policy}"
        with self._lock:
            if key in self._reported:
                return
            self._reported.add(key)
        _log.warning(
            "helicone_lite: a call under %s cost %.6g %s beyond its reservation (set max_tokens "
            "to make the reservation a hard bound)",
            bucket.policy,
            excess,
            bucket.unit,
        )

    # --- failures ---

    def _unavailable(self, exc: BackendError) -> Result:
        self._report("take", exc)
        error = status_error(
            503,
            f"helicone_lite could not check the rate limit ({exc}); the call was not sent. "
            "Client(ratelimit_fail_open=True) admits calls when the limiter's store fails.",
            headers={"X-Helicone-Error": "rate_limit_store_unavailable"},
        )
        return Result(error=error, log={"status": 503})

    def _report(self, what: str, exc: BaseException) -> None:
        with self._lock:
            if what in self._reported:
                return
            self._reported.add(what)
        action = "admitting calls unchecked" if what == "take" and self._fail_open else what
        _log.warning("helicone_lite: rate-limit store failed (%s): %s", action, exc)


class _Settle(StreamObserver):
    """Settles a stream's reservation at its end, from the final usage chunk."""

    __slots__ = ("_buckets", "_call", "_chunks", "_last", "_limiter", "_result")

    def __init__(
        self, limiter: RateLimiter, call: Call, buckets: Sequence[Bucket], result: Result
    ) -> None:
        self._limiter, self._call, self._buckets = limiter, call, buckets
        self._result = result  # its log gets the fallback index, cache writes, …
        self._last: Any = None
        self._chunks = 0

    def on_chunk(self, chunk: Any) -> None:
        self._chunks += 1
        if getattr(chunk, "usage", None) is not None:
            self._last = chunk
        elif getattr(getattr(chunk, "response", None), "usage", None) is not None:
            self._last = chunk.response  # a Responses stream: usage rides on its last event

    def on_end(self, error: BaseException | None) -> None:
        log = self._result.log
        usage = _usage(usage_of(self._last), log) if self._last is not None else None
        # a stream that sent something and then failed or was closed may be billed: keep the
        # reservation unless the usage is known; one that sent nothing is released
        ended = Result(error=error, log=log)
        self._limiter.settle(self._call, self._buckets, ended, usage, streamed=self._chunks > 0)


def _usage(counts: dict[str, int], log: dict[str, Any]) -> Usage | None:
    if not counts:
        return None
    return Usage(
        prompt_tokens=counts.get("prompt_tokens", 0),
        completion_tokens=counts.get("completion_tokens", 0),
        cached_tokens=counts.get("cached_tokens", 0),
        cache_write_tokens=int(log.get("cache_write_tokens") or 0),
    )


def _headers(buckets: Sequence[Bucket], levels: Sequence[float]) -> dict[str, str]:
    """The reply headers of the tightest bucket (the least room left, relatively)."""
    i = (
        0
        if len(buckets) == 1
        else min(range(len(buckets)), key=lambda k: levels[k] / buckets[k].capacity)
    )
    bucket, tokens = buckets[i], levels[i]
    return {
        "Helicone-RateLimit-Limit": quota_text(bucket.capacity),
        "Helicone-RateLimit-Remaining": str(max(0, math.floor(tokens + EPSILON))),
        "Helicone-RateLimit-Policy": bucket.shown,
        "Helicone-RateLimit-Reset": str(reset_seconds(tokens, bucket.capacity, bucket.rate)),
    }


def _refused(buckets: Sequence[Bucket], decision: Decision) -> Result:
    short = [i for i, b in enumerate(buckets) if decision.tokens[i] < b.need - EPSILON] or list(
        range(len(buckets))
    )
    i = max(short, key=lambda k: (buckets[k].need - decision.tokens[k]) / buckets[k].rate)
    headers = _headers([buckets[i]], [decision.tokens[i]])
    wait = max(decision.retry_after, 0.001)
    headers["Retry-After"] = str(math.ceil(wait))
    headers["retry-after-ms"] = str(math.ceil(wait * 1000))
    headers["X-Helicone-Error"] = "rate_limited"
    body = {"error": {"message": MESSAGE, "type": "rate_limited", "code": "rate_limited"}}
    error = status_error(429, MESSAGE, headers=headers, body=body)
    return Result(error=error, headers=headers, log={"status": 429, "rate_limited": 1})
