"""A bounded queue and one daemon thread: spans are built off the caller's path.

Building a span means pricing the call (genai-prices, ~0.2 ms), serialising content and
calling the tracer provider's span processors: none of it belongs on the user's call. The
caller only queues a tuple of references (``submit``); a full queue drops the item and says
so once. The thread starts on first use, is restarted in a forked child, and stops when its
exporter is garbage-collected or the interpreter exits (after draining what is queued).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from .._threads import background_thread

__all__ = ["Worker"]

_log = logging.getLogger("helicone_lite")
_STOP = object()


class _Marker:
    """Queued by ``flush``: set once every item queued before it has been handled."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class Worker:
    """Runs ``handle(item)`` for each submitted item, in order, on one background thread.

    ``handle`` must not raise; if it does, the failure is logged once and the item skipped.
    """

    def __init__(
        self, handle: Callable[[Any], None], *, max_queue: int = 10_000, name: str = "worker"
    ) -> None:
        self._handle = handle
        self._max_queue = max_queue
        self._name = name
        self._lock = threading.Lock()
        self._queue: queue.Queue[Any] = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._pid = -1
        self._stopped = False
        self._reported: set[str] = set()
        self.handled = 0
        self.dropped = 0
        self.failed = 0

    # -- the caller's side -------------------------------------------------------------------
    def submit(self, item: Any) -> None:
        """Queue ``item`` without blocking; drop it (counted, reported once) if the queue is
        full or the worker has stopped."""
        if self._pid != os.getpid():
            self._start()
        if self._stopped:
            self._drop("stopped")
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._drop("full")

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every item submitted before this call has been handled."""
        if self._thread is None or self._pid != os.getpid() or self._stopped:
            return True
        marker = _Marker()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return marker.done.wait(timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Handle what is queued, then end the thread (``timeout`` None: do not wait)."""
        atexit.unregister(self.drain_at_exit)
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            thread = self._thread if self._pid == os.getpid() else None
        if thread is None:
            return
        try:
            if timeout is None:
                self._queue.put_nowait(_STOP)  # never block a garbage collection
            else:
                self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return  # the thread ends when it finds the queue empty (see _run)
        if timeout is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def drain_at_exit(self) -> None:
        self.stop(timeout=5.0)

    def stats(self) -> dict[str, int]:
        return {
            "queued": self._queue.qsize(),
            "handled": self.handled,
            "dropped": self.dropped,
            "failed": self.failed,
        }

    # -- the thread --------------------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            pid = os.getpid()
            if self._pid == pid or self._stopped:
                return
            if self._pid != -1:  # a forked child: the parent's queue and thread are not ours
                self._queue = queue.Queue(self._max_queue)
            self._pid = pid
            self._thread = background_thread(self._run, self._name)
            self._thread.start()
        # registered now, not when built: exit handlers run last-in first-out, so this drain
        # runs before the shutdown of a TracerProvider created before the first span
        atexit.register(self.drain_at_exit)

    def _run(self) -> None:
        items = self._queue
        while True:
            if self._stopped and items.empty():
                return
            item = items.get()
            if item is _STOP:
                return
            if isinstance(item, _Marker):
                item.done.set()
                continue
            try:
                self._handle(item)
                self.handled += 1
            except Exception:
                self.failed += 1
                self._report("failed", "helicone_lite: OpenTelemetry export failed", True)

    def _drop(self, why: str) -> None:
        self.dropped += 1
        self._report(
            why,
            f"helicone_lite: OpenTelemetry export queue {why}; dropping spans "
            f"(at most {self._max_queue} wait for export)",
            False,
        )

    def _report(self, key: str, message: str, exc_info: bool) -> None:
        if key in self._reported:
            return
        self._reported.add(key)
        _log.warning(message, exc_info=exc_info)
