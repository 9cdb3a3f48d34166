"""Hooks: what sees every logged call after its row is queued (alerts, OpenTelemetry, …).

A hook is not an interceptor: it cannot change a call, only watch the log. The recorder calls
``record(call, result, row)`` on the caller's path, so a hook only queues (microseconds, never
raises); its own thread does the work. A hook may define ``wants(call) -> bool``: when it
says False, ``record`` is not called for that call, and when no hook wants a call the recorder
does not build the row on the caller at all (the writer thread builds it). ``Runtime`` builds
the hooks from the ``HOOKS`` list, flushes them with the client and closes them with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from ._call import Call, Result

__all__ = ["Hook", "Hooks"]


@runtime_checkable
class Hook(Protocol):
    """Watches the log of one client. ``row`` is the request-log row as queued (its callable
    values, e.g. ``_cost``, are evaluated by whoever needs them)."""

    def record(self, call: Call, result: Result, row: dict[str, Any]) -> None: ...

    def flush(self, timeout: float | None = None) -> bool: ...

    def close(self) -> None: ...


class Hooks:
    """The hooks of one runtime: a tuple, replaced (never mutated) when one is added, so the
    recorder iterates it without a lock."""

    __slots__ = ("_lock", "all")

    def __init__(self, hooks: tuple[Hook, ...] = ()) -> None:
        self.all: tuple[Hook, ...] = hooks
        self._lock = threading.Lock()

    def add(self, hook: Hook) -> None:
        with self._lock:
            self.all = (*self.all, hook)

    def __iter__(self) -> Iterator[Hook]:
        return iter(self.all)

    def __bool__(self) -> bool:
        return bool(self.all)
