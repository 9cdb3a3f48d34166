"""Token buckets, as pure arithmetic: the backends store the state, this decides.

A bucket holds ``tokens`` (requests, cents or LLM tokens) up to ``capacity`` (the policy's
quota) and refills continuously at ``capacity / window`` per second. A bucket nobody has used
yet, or that has refilled completely, is full: the backends may forget full buckets.

A call reserves ``amount`` from every bucket of its policies, all or nothing. It is admitted
when each bucket holds at least ``min(amount, capacity)``: a reservation larger than the whole
quota (a huge ``max_tokens`` against a tiny budget) waits for a full bucket instead of never
passing. Settling a call moves the bucket by ``actual - reserved``; it may go below zero (the
call cost more than reserved), and refilling brings it back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import HeliconeLiteError
from ..options import RateLimitPolicy
from ..options._policy import RateUnit

__all__ = [
    "BackendError",
    "Bucket",
    "BucketState",
    "Decision",
    "decide",
    "decide_one",
    "refill",
    "reset_seconds",
    "settle",
]

#: tolerance on "enough tokens", so float refill arithmetic never refuses an exact fit.
EPSILON = 1e-9


class BackendError(HeliconeLiteError):
    """A bucket store failed (locked past its timeout, unreachable, broken)."""


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket one call draws from.

    ``key`` identifies the bucket in the store (the policy with its resolved segment name, and
    the segment value); ``policy`` is that normalised policy (what the CLI shows); ``shown`` is
    the policy as the call wrote it, normalised (what ``Helicone-RateLimit-Policy`` echoes);
    ``segment`` reads ``global``, ``user=<id>`` or ``<property>=<value>``; ``amount`` is what
    this call reserves.
    """

    key: str
    policy: str
    shown: str
    segment: str
    unit: RateUnit
    capacity: float
    window: int
    amount: float

    @property
    def rate(self) -> float:
        return self.capacity / self.window

    @property
    def need(self) -> float:
        """What must be in the bucket for the call to pass."""
        return min(self.amount, self.capacity)

    def reserving(self, amount: float) -> Bucket:
        """This bucket with another call's ``amount``."""
        return Bucket(
            self.key,
            self.policy,
            self.shown,
            self.segment,
            self.unit,
            self.capacity,
            self.window,
            float(amount),
        )

    @classmethod
    def of(
        cls, policy: RateLimitPolicy, segment: tuple[str, str], shown: str, amount: float
    ) -> Bucket:
        name, value = segment
        resolved = RateLimitPolicy(policy.quota, policy.window, policy.unit, name or None)
        text = resolved.normalised()
        label = f"{name}={value}" if name else "global"
        return cls(
            key=f"{text}|{value}" if name else text,
            policy=text,
            shown=shown,
            segment=label,
            unit=policy.unit,
            capacity=float(policy.quota),
            window=policy.window,
            amount=float(amount),
        )


@dataclass(frozen=True, slots=True)
class BucketState:
    """A stored bucket, for listing: its level ``tokens`` as of ``updated`` (epoch seconds)."""

    key: str
    policy: str
    segment: str
    capacity: float
    window: int
    tokens: float
    updated: float

    def level(self, now: float) -> float:
        return refill(self.tokens, self.updated, now, self.capacity, self.capacity / self.window)

    def describe(self, now: float) -> dict[str, object]:
        tokens = self.level(now)
        return {
            "policy": self.policy,
            "segment": self.segment,
            "remaining": max(0, math.floor(tokens + EPSILON)),
            "limit": int(self.capacity) if self.capacity == int(self.capacity) else self.capacity,
            "tokens": round(tokens, 6),
            "reset": reset_seconds(tokens, self.capacity, self.capacity / self.window),
            "key": self.key,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What a bucket store answered: admitted or not, and every bucket's level afterwards
    (unchanged when refused). ``retry_after``: seconds until the refusing buckets could admit
    this call (0 when admitted)."""

    admitted: bool
    tokens: tuple[float, ...]
    retry_after: float = 0.0


def refill(tokens: float, updated: float, now: float, capacity: float, rate: float) -> float:
    """The level at ``now`` of a bucket that held ``tokens`` at ``updated``."""
    return min(capacity, tokens + max(0.0, now - updated) * rate)


def decide(buckets: Sequence[Bucket], levels: Sequence[float]) -> Decision:
    """All or nothing: take every bucket's ``amount`` if each one holds its ``need``."""
    short = [
        (b.need - t) / b.rate for b, t in zip(buckets, levels, strict=True) if t < b.need - EPSILON
    ]
    if short:
        return Decision(False, tuple(levels), max(short))
    return Decision(True, tuple(t - b.amount for b, t in zip(buckets, levels, strict=True)))


def decide_one(bucket: Bucket, level: float) -> Decision:
    """:func:`decide` of one bucket (a call with one policy), without its lists: the same
    float operations in the same order, so the levels are the same bit for bit."""
    capacity, amount = bucket.capacity, bucket.amount
    need = capacity if capacity < amount else amount  # min(amount, capacity)
    if level < need - EPSILON:
        return Decision(False, (level,), (need - level) / (capacity / bucket.window))
    return Decision(True, (level - amount,))


def settle(level: float, capacity: float, delta: float) -> float:
    """The level after charging ``delta`` more (a refund when negative), never above full."""
    return min(capacity, level - delta)


def reset_seconds(tokens: float, capacity: float, rate: float) -> int:
    """Whole seconds until the bucket is full again (``Helicone-RateLimit-Reset``)."""
    missing = capacity - tokens
    return 0 if missing <= EPSILON else math.ceil(missing / rate - EPSILON)


def full_at(tokens: float, now: float, capacity: float, rate: float) -> float:
    """When a bucket left alone becomes full (and so may be forgotten)."""
    return now + max(0.0, capacity - tokens) / rate
