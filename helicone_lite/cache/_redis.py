"""The shared backend: Redis, so every process on every machine sees one cache.

A bucket is one Redis hash ``helicone-lite:cache:<key>`` with fields ``seed``, ``model``, and per
slot ``i``: ``e<i>`` (its expiry, on the client's clock) and ``<i>`` (its blob). A lookup is one
``HMGET``; a fill is one Lua script, so finding the lowest free slot and writing it is atomic
on the server. Connections time out fast and never retry on their own: a dead Redis costs a
call a miss, not a stall.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._backend import BackendStats, Slot, matches, produced_by, tally
from ._entry import Labels

__all__ = ["RedisCacheBackend", "redacted_url"]

PREFIX = "helicone-lite:cache:"

# KEYS[1] bucket; ARGV: size, now, blob, expires, ttl_ms, seed, model.
_FILL = """
local size = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
for i = 0, size - 1 do
  local e = redis.call('HGET', KEYS[1], 'e' .. i)
  if (not e) or tonumber(e) <= now then
    redis.call('HSET', KEYS[1], 'e' .. i, ARGV[4], tostring(i), ARGV[3],
               'seed', ARGV[6], 'model', ARGV[7])
    local ttl = tonumber(ARGV[5])
    if redis.call('PTTL', KEYS[1]) < ttl then
      redis.call('PEXPIRE', KEYS[1], ttl)
    end
    return i
  end
end
return -1
"""


def redacted_url(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisCacheBackend:
    """Buckets in Redis (``redis_url``, e.g. ``redis://cache.internal:6379/0``).

    Entries expire in Redis too (``PEXPIRE``), so Redis's own memory policy bounds the size.
    ``timeout`` is the socket connect/read timeout in seconds.
    """

    def __init__(self, url: str, *, timeout: float = 0.5, prefix: str = PREFIX) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.description = f"redis {redacted_url(url)}"
        self._prefix = prefix
        self._redis: Any = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._fill = self._redis.register_script(_FILL)
        self._fields: dict[int, list[str]] = {}

    def _lookup_fields(self, size: int) -> list[str]:
        fields = self._fields.get(size)
        if fields is None:
            fields = [f"e{i}" for i in range(size)] + [str(i) for i in range(size)]
            self._fields[size] = fields
        return fields

    def lookup(self, key: str, size: int, now: float) -> Sequence[bytes] | None:
        values = self._redis.hmget(self._prefix + key, self._lookup_fields(size))
        for expiry in values[:size]:
            if expiry is None or _expiry(expiry) <= now:
                return None
        blobs: list[bytes] = values[size:]
        return blobs

    def discard(self, key: str) -> None:
        """Delete the bucket of ``key`` (a bad entry); other keys are untouched."""
        self._redis.delete(self._prefix + key)

    def fill(
        self, key: str, size: int, now: float, blob: bytes, expires: float, labels: Labels
    ) -> int | None:
        ttl_ms = max(1000, int((expires - now) * 1000))
        index = self._fill(
            keys=[self._prefix + key],
            args=[size, repr(now), blob, repr(expires), ttl_ms, labels.seed or "", labels.model],
        )
        return None if int(index) < 0 else int(index)

    def slots(self, key: str) -> dict[int, bytes]:
        fields = self._redis.hgetall(self._prefix + key)
        return {int(name): blob for name, blob in fields.items() if name.isdigit()}

    def _buckets(self) -> Iterator[tuple[str, Labels, list[Slot]]]:
        keys = list(self._redis.scan_iter(match=self._prefix + "*", count=500))
        for start in range(0, len(keys), 200):
            batch = keys[start : start + 200]
            pipe = self._redis.pipeline(transaction=False)
            for key in batch:
                pipe.hgetall(key)
            for key, fields in zip(batch, pipe.execute(), strict=True):
                if fields:
                    yield key, *_parse(fields)

    def clear(self, seed: str | None = None, model: str | None = None) -> int:
        removed, doomed = 0, []
        for key, labels, slots in self._buckets():
            if matches(labels, seed, model):
                removed += len(slots)
                doomed.append(key)
        for start in range(0, len(doomed), 500):
            self._redis.unlink(*doomed[start : start + 500])
        return removed

    def forget(self, request_ids: Collection[str]) -> int:
        removed, doomed = 0, []
        for key, _, slots in self._buckets():
            if any(produced_by(blob, request_ids) for _, blob in slots):
                removed += len(slots)
                doomed.append(key)
        for start in range(0, len(doomed), 500):
            self._redis.unlink(*doomed[start : start + 500])
        return removed

    def stats(self, now: float) -> BackendStats:
        stats = BackendStats(backend=self.description)
        return tally(stats, ((labels, slots) for _, labels, slots in self._buckets()), now)

    def close(self) -> None:
        self._redis.close()

    def __repr__(self) -> str:
        return f"RedisCacheBackend({self.description!r})"


def _parse(fields: dict[bytes, bytes]) -> tuple[Labels, list[Slot]]:
    seed = fields.get(b"seed", b"").decode() or None
    labels = Labels(seed, fields.get(b"model", b"").decode())
    slots: list[Slot] = []
    for name, value in fields.items():
        if name.isdigit():
            expiry = fields.get(b"e" + name)
            slots.append((_expiry(expiry) if expiry is not None else 0.0, value))
    return labels, slots


def _expiry(value: bytes) -> float:
    """A slot's stored expiry; anything unreadable counts as expired (a miss, not an outage)."""
    try:
        return float(value)
    except ValueError:
        return float("-inf")
