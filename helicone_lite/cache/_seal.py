"""A MAC on every cache slot, so a forged or corrupted entry is never served.

Whoever can write the cache directory or the Redis server could otherwise plant answers
(served as hits) or move a stored answer to another key. Each slot is stored as::

    b"HLC1" + key_id (4 bytes) + HMAC-SHA256(secret, cache_key + b"\\0" + entry) + entry

The MAC binds the entry to its cache key, so copying a valid slot under another key fails too.
``key_id`` names the secret (a hash of it, not the secret), so a slot written under another
secret — another machine sharing a Redis cache without sharing the secret — is told apart from
a tampered one in the warning.

The secret is ``Client(cache_secret=…)`` / ``HELICONE_LITE_CACHE_SECRET`` if given (machines
sharing one Redis cache must share it), else the per-home file ``<home>/cache.key`` (32 random
bytes, created 0600). Nothing read back is unpickled or evaluated: entries are JSON and bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

__all__ = ["BadEntry", "Seal", "load_seal", "unchecked_entry"]

_MAGIC = b"HLC1"
_ID = 4
_TAG = 32
_HEAD = len(_MAGIC) + _ID + _TAG
SECRET_FILE = "cache.key"


def unchecked_entry(sealed: bytes) -> bytes:
    """The entry inside a sealed slot, its MAC NOT checked: only for choosing what to delete
    (``delete --user``), where a forged slot costs nothing but its own removal."""
    if len(sealed) >= _HEAD and sealed[: len(_MAGIC)] == _MAGIC:
        return sealed[_HEAD:]
    return sealed


class BadEntry(ValueError):
    """A slot that fails its MAC, or is not a sealed slot at all."""

    def __init__(self, reason: str, *, foreign: bool = False) -> None:
        super().__init__(reason)
        #: sealed with another secret (not necessarily tampered with).
        self.foreign = foreign


class Seal:
    """Seals and opens slots with one secret."""

    __slots__ = ("_id", "_secret")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a cache secret needs at least 16 bytes")
        self._secret = bytes(secret)
        self._id = hashlib.sha256(b"helicone-lite cache key id\0" + self._secret).digest()[:_ID]

    def seal(self, key: str, entry: bytes) -> bytes:
        tag = hmac.digest(self._secret, key.encode() + b"\0" + entry, "sha256")
        return _MAGIC + self._id + tag + entry

    def open(self, key: str, sealed: bytes) -> bytes:
        """The entry inside ``sealed``; :class:`BadEntry` if its MAC does not hold."""
        view = memoryview(sealed)
        if len(view) < _HEAD or view[: len(_MAGIC)] != _MAGIC:
            raise BadEntry("not a sealed helicone_lite cache entry")
        if view[len(_MAGIC) : len(_MAGIC) + _ID] != self._id:
            raise BadEntry("sealed with another cache secret", foreign=True)
        entry = bytes(view[_HEAD:])
        expected = hmac.digest(self._secret, key.encode() + b"\0" + entry, "sha256")
        if not hmac.compare_digest(expected, view[_HEAD - _TAG : _HEAD]):
            raise BadEntry("the entry's MAC does not match (tampered or corrupt)")
        return entry


def load_seal(home: Path, secret: str | bytes | None) -> Seal:
    """The seal of a client: its configured secret, else the per-home secret file."""
    from .._files import read_secret

    if secret:
        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(raw) < 16:
            raise ValueError("cache_secret needs at least 16 characters")
        return Seal(hashlib.sha256(b"helicone-lite cache secret\0" + raw).digest())
    return Seal(read_secret(Path(home) / SECRET_FILE))
