"""Bucket state on Redis, exact across machines: one Lua script decides all of a call's buckets.

Redis runs a script atomically, so the read-decide-write of every bucket of a call is one step
for every client of that server. Each bucket is a hash (``t`` tokens, ``u`` updated, ``c``
capacity, ``w`` window, ``p`` policy, ``s`` segment) that expires once it would be full again
(a missing bucket is a full one). The clock is the caller's (``Client(clock=...)``), so
machines sharing a Redis need synchronised clocks (NTP); the arithmetic is the same as
:mod:`._bucket`'s, in the same floating-point operations. Socket timeouts are bounded: a dead
server is an error, never a hang.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._bucket import EPSILON, BackendError, Bucket, BucketState, Decision

__all__ = ["RedisBuckets"]

#: one hash slot for every bucket (the ``{...}`` hash tag), so the scripts also run on a cluster.
PREFIX = "{helicone_lite:rl}:"

# Shared by both scripts: the level of bucket i at ARGV[1] (a missing bucket is full).
_LEVEL = """
local function level(key, cap, window, now)
  local st = redis.call('HMGET', key, 't', 'u')
  if not st[1] then return cap, now end
  local t, u = tonumber(st[1]), tonumber(st[2])
  local el = now - u
  if el < 0 then el = 0 end
  local v = t + el * (cap / window)
  if v > cap then v = cap end
  if u > now then return v, u end
  return v, now
end
local function store(key, t, at, cap, window, policy, segment)
  redis.call('HSET', key, 't', string.format('%.17g', t), 'u', string.format('%.17g', at),
             'c', string.format('%.17g', cap), 'w', window, 'p', policy, 's', segment)
  local missing = cap - t
  if missing < 0 then missing = 0 end
  redis.call('PEXPIRE', key, math.ceil(missing / (cap / window) * 1000) + 60000)
end
"""

# KEYS: buckets. ARGV: now, epsilon, then per bucket: capacity, window, amount, policy, segment.
# Returns {admitted, level_1, ..., level_n} (levels as strings: Lua numbers would be truncated).
_TAKE = (
    _LEVEL
    + """
local now, eps = tonumber(ARGV[1]), tonumber(ARGV[2])
local levels, ats, ok = {}, {}, 1
for i = 1, #KEYS do
  local b = 2 + (i - 1) * 5
  local cap, window, amount = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  levels[i], ats[i] = level(KEYS[i], cap, window, now)
  local need = amount
  if cap < need then need = cap end
  if levels[i] < need - eps then ok = 0 end
end
local out = {ok}
for i = 1, #KEYS do
  local b = 2 + (i - 1) * 5
  local t = levels[i]
  if ok == 1 then
    local cap, window = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
    t = t - tonumber(ARGV[b + 3])
    store(KEYS[i], t, ats[i], cap, window, ARGV[b + 4], ARGV[b + 5])
  end
  out[i + 1] = string.format('%.17g', t)
end
return out
"""
)

# KEYS: buckets. ARGV: now, then per bucket: capacity, window, delta, policy, segment.
_ADJUST = (
    _LEVEL
    + """
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local b = 1 + (i - 1) * 5
  local cap, window, delta = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  local t, at = level(KEYS[i], cap, window, now)
  t = t - delta
  if t > cap then t = cap end
  store(KEYS[i], t, at, cap, window, ARGV[b + 4], ARGV[b + 5])
  out[i] = string.format('%.17g', t)
end
return out
"""
)


class RedisBuckets:
    """Token buckets on the Redis server at ``url``."""

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - the redis extra is missing
            raise BackendError(
                "redis_url is set but the 'redis' package is missing: "
                "pip install 'helicone-lite[redis]'"
            ) from exc
        self.url = url
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=True
        )
        self._take = self._client.register_script(_TAKE)
        self._adjust = self._client.register_script(_ADJUST)

    def __repr__(self) -> str:
        return f"RedisBuckets({_safe(self.url)!r})"

    def _run(self, script: Any, keys: list[str], args: list[Any]) -> list[Any]:
        try:
            return list(script(keys=keys, args=args))
        except self._errors as exc:
            raise BackendError(f"rate-limit store {_safe(self.url)}: {exc}") from exc

    def take(self, buckets: Sequence[Bucket], now: float) -> Decision:
        args: list[Any] = [repr(now), repr(EPSILON)]
        for b in buckets:
            args += [repr(b.capacity), b.window, repr(b.amount), b.policy, b.segment]
        out = self._run(self._take, [PREFIX + b.key for b in buckets], args)
        levels = tuple(float(v) for v in out[1:])
        if int(out[0]) == 1:
            return Decision(True, levels)
        waits = [
            (b.need - t) / b.rate
            for b, t in zip(buckets, levels, strict=True)
            if t < b.need - EPSILON
        ]
        return Decision(False, levels, max(waits, default=0.0))

    def adjust(self, changes: Sequence[tuple[Bucket, float]], now: float) -> tuple[float, ...]:
        args: list[Any] = [repr(now)]
        for b, delta in changes:
            args += [repr(b.capacity), b.window, repr(delta), b.policy, b.segment]
        out = self._run(self._adjust, [PREFIX + b.key for b, _ in changes], args)
        return tuple(float(v) for v in out)

    def _keys(self) -> list[str]:
        try:
            return sorted(self._client.scan_iter(match=PREFIX + "*", count=500))
        except self._errors as exc:
            raise BackendError(f"rate-limit store {_safe(self.url)}: {exc}") from exc

    def states(self, now: float) -> list[BucketState]:
        keys = self._keys()
        try:
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.hgetall(key)
            hashes = pipe.execute()
        except self._errors as exc:
            raise BackendError(f"rate-limit store {_safe(self.url)}: {exc}") from exc
        out = []
        for key, h in zip(keys, hashes, strict=True):
            if not h:
                continue  # expired meanwhile
            state = BucketState(
                key[len(PREFIX) :],
                h["p"],
                h["s"],
                float(h["c"]),
                int(h["w"]),
                float(h["t"]),
                float(h["u"]),
            )
            if state.level(now) < state.capacity - EPSILON:
                out.append(state)
        return sorted(out, key=lambda s: (s.policy, s.segment))

    def reset(self, policy: str | None = None, segment: str | None = None) -> int:
        keys = self._keys()
        try:
            if policy is not None or segment is not None:
                pipe = self._client.pipeline(transaction=False)
                for key in keys:
                    pipe.hmget(key, "p", "s")
                fields = pipe.execute()
                keys = [
                    k
                    for k, (p, s) in zip(keys, fields, strict=True)
                    if (policy is None or p == policy) and (segment is None or s == segment)
                ]
            return int(self._client.delete(*keys)) if keys else 0
        except self._errors as exc:
            raise BackendError(f"rate-limit store {_safe(self.url)}: {exc}") from exc

    def close(self) -> None:
        self._client.close()


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"
