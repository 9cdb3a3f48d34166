"""Where a span goes: the deterministic trace of a Helicone session, and the session-path tree.

A session is one trace in every process: its trace id is derived from the session id alone
(:func:`session_trace_id`), so spans exported by several processes or machines for the same
``Helicone-Session-Id`` land in one trace without any coordination. Each session has a
*virtual* root span (:func:`session_span_id`), never exported, that the first spans of the
session hang under; later spans hang under the latest earlier request on the nearest ancestor
path that this process has seen (``/triage/analysis`` under ``/triage``), which is the
parent/child structure Helicone's session tree shows. No OpenTelemetry import here.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["SessionTree", "ancestors", "normal_path", "session_span_id", "session_trace_id"]

_NAMESPACE = b"helicone.session\x00"
_MASK_64 = (1 << 64) - 1

Ctx = TypeVar("Ctx")


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(_NAMESPACE + session_id.encode("utf-8")).digest()


@functools.lru_cache(maxsize=4096)
def session_trace_id(session_id: str) -> int:
    """The OpenTelemetry trace id of a Helicone session, the same in every process.

    A session id that is a UUID in canonical form (lowercase, as Helicone's examples make
    them with ``uuid4()``) or 32 lowercase hex digits *is* the trace id, so the session id you
    log is the one you search for in Jaeger or Tempo (without the dashes); any other string is
    hashed (the first 16 bytes of SHA-256 of ``helicone.session\\0`` + the id).

    >>> hex(session_trace_id("3e2a3c1e-8a0c-4c8b-9f3c-6b1f0e2d7a55"))
    '0x3e2a3c1e8a0c4c8b9f3c6b1f0e2d7a55'
    """
    try:
        parsed = uuid.UUID(session_id)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.int and session_id in (str(parsed), parsed.hex):
        return parsed.int
    return int.from_bytes(_digest(session_id)[:16], "big") or 1


@functools.lru_cache(maxsize=4096)
def session_span_id(session_id: str) -> int:
    """The span id of a session's virtual root (the parent of its first spans; not exported)."""
    return (int.from_bytes(_digest(session_id)[16:24], "big") & _MASK_64) or 1


def normal_path(path: str | None) -> str:
    """``/a/b`` for ``a/b``, ``/a/b/``, ``//a//b``; ``/`` for nothing."""
    parts = [p for p in (path or "").split("/") if p]
    return "/" + "/".join(parts)


def ancestors(path: str) -> Iterator[str]:
    """The proper ancestors of a normal path, nearest first: ``/a/b`` -> ``/a``, ``/``."""
    parts = [p for p in path.split("/") if p]
    for depth in range(len(parts) - 1, -1, -1):
        yield "/" + "/".join(parts[:depth])


class SessionTree(Generic[Ctx]):
    """The latest span seen per (session, path), in a bounded LRU (memory stays flat).

    ``parent(session, path, started)`` is the span of the latest request on the nearest
    ancestor path that started no later than ``started``, or None. Thread-safe.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[tuple[str, str], tuple[Ctx, float]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def parent(self, session_id: str, path: str, started: float) -> Ctx | None:
        with self._lock:
            for node in ancestors(path):
                entry = self._entries.get((session_id, node))
                if entry is not None and entry[1] <= started:
                    self._entries.move_to_end((session_id, node))
                    return entry[0]
        return None

    def remember(self, session_id: str, path: str, context: Ctx, started: float) -> None:
        key = (session_id, path)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] > started:
                return  # keep the later request: it is the likelier parent of what follows
            self._entries[key] = (context, started)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
