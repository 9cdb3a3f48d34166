"""The fake's state: scripted outcomes, the one-shot queue, and recorded requests."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ._outcomes import Outcome
from ._wire import ProtocolName

__all__ = ["Book", "RecordedRequest"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as it arrived on the wire.

    ``headers`` has lower-case names. ``json`` is the parsed body (``None`` if empty or
    not JSON). ``protocol`` is ``"unknown"`` for paths no protocol serves. ``endpoint``
    names the route (``"chat.completions"``, ``"messages"``, ``"generateContent"`` ...).
    ``inference`` is true for endpoints that produce a model answer (chat, messages,
    generate, embeddings): only these consume scripts and count in ``calls()``.
    ``outcome`` is the scripted :class:`Reply` or :class:`Fault` that answered it
    (``None``: the default echo). ``seq`` numbers requests from 1 in arrival order.
    """

    seq: int
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    json: Any
    protocol: ProtocolName
    endpoint: str
    model: str | None
    stream: bool
    inference: bool
    outcome: Outcome | None


@dataclass
class _Script:
    pattern: str
    outcome: Outcome
    remaining: int | None


class Book:
    """Scripts, queue and recordings behind one lock; shared by all handler threads."""

    def __init__(self, max_requests: int | None = None) -> None:
        self._lock = threading.Lock()
        self._scripts: list[_Script] = []
        self._queue: deque[Outcome] = deque()
        self._requests: deque[RecordedRequest] = deque(maxlen=max_requests)
        self._seq = 0
        #: what protocols keep between requests (stored responses); plain JSON values
        self.memory: dict[str, Any] = {}

    def script(self, pattern: str, outcome: Outcome, times: int | None) -> None:
        with self._lock:
            if times is None:
                self._scripts = [
                    s for s in self._scripts if s.pattern != pattern or s.remaining is not None
                ]
            self._scripts.append(_Script(pattern, outcome, times))

    def enqueue(self, outcomes: tuple[Outcome, ...]) -> None:
        with self._lock:
            self._queue.extend(outcomes)

    def admit(
        self,
        make: Callable[[int, Outcome | None], RecordedRequest],
        *,
        model: str | None,
        inference: bool,
    ) -> RecordedRequest:
        """Number a request, pick its outcome, record it; atomically."""
        with self._lock:
            self._seq += 1
            record = make(self._seq, self._take(model) if inference else None)
            self._requests.append(record)
            return record

    def _take(self, model: str | None) -> Outcome | None:
        if self._queue:
            return self._queue.popleft()
        for script in self._scripts:
            if not fnmatchcase(model or "", script.pattern):
                continue
            if script.remaining is not None:
                script.remaining -= 1
                if script.remaining == 0:
                    self._scripts.remove(script)
            return script.outcome
        return None

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def last(self) -> RecordedRequest | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + sum(s.remaining or 0 for s in self._scripts)

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._queue.clear()
            self._requests.clear()
            self.memory.clear()
