"""The PostHog hook: the caller copies a few row fields into a queue (cheap); a worker thread
prices the call and hands the event to a ``posthog.Posthog`` client per (key, host), which
batches and uploads in its own thread."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._threads import background_thread

if TYPE_CHECKING:
    from ..pipeline._call import Call, Result

__all__ = [
    "DEFAULT_EVENT",
    "DEFAULT_HOST",
    "PostHogExporter",
    "event_properties",
]

_log = logging.getLogger("helicone_lite")

DEFAULT_HOST = "https://us.i.posthog.com"
DEFAULT_EVENT = "helicone_request"
_FIELDS = (
    "model", "provider", "response_model", "status", "prompt_tokens", "completion_tokens",
    "total_tokens", "latency_ms", "ttft_ms", "cache_status", "session_id", "session_path",
    "session_name", "user_id", "security_verdict",
)  # fmt: skip
_MAX_QUEUE = 10_000


def event_properties(row: Mapping[str, Any], cost: float | None) -> dict[str, Any]:
    """The event's properties: the call's model, provider, tokens, cost, latency, cache
    status, session and custom properties (built-in names win over custom ones)."""
    props: dict[str, Any] = {}
    custom = row.get("properties")
    if isinstance(custom, Mapping):
        props.update({str(k): v for k, v in custom.items()})
    props.update({name: row.get(name) for name in _FIELDS})
    props["cost_usd"] = cost
    props["helicone_request_id"] = row.get("id")
    if not row.get("user_id"):
        props["$process_person_profile"] = False  # no person for anonymous calls
    return props


def _cost_of(row: Mapping[str, Any], compute: Any) -> float | None:
    if "cost_usd" in row:
        value = row["cost_usd"]
        return float(value) if isinstance(value, (int, float)) else None
    try:
        found = compute() if callable(compute) else None
        return float(found) if found is not None else None
    except Exception:  # a price problem must not lose the event
        return None


class PostHogExporter:
    """One per client. A hook (``pipeline._hooks``): ``record`` queues, ``flush`` drains, ``close`` stops."""

    def __init__(self, factory: Callable[[str, str], Any] | None = None) -> None:
        self._factory = factory or _posthog_client
        self._clients: dict[tuple[str, str], Any] = {}
        self._queue: queue.Queue[tuple[str, str, str, dict[str, Any], Any] | None] = queue.Queue(
            _MAX_QUEUE
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._dropped = 0

    def wants(self, call: Call) -> bool:
        """Only calls with a PostHog key (the recorder builds no row on the caller for others)."""
        return call.options.posthog_key is not None

    def record(self, call: Call, result: Result, row: dict[str, Any]) -> None:
        options = call.options
        if options.posthog_key is None:
            return
        fields = {name: row.get(name) for name in (*_FIELDS, "id", "properties", "cost_usd")}
        if "cost_usd" not in row:
            fields.pop("cost_usd")
        item = (
            options.posthog_key,
            options.posthog_host or DEFAULT_HOST,
            options.posthog_event or DEFAULT_EVENT,
            fields,
            row.get("_cost"),
        )
        self._start()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._lock:
                self._dropped += 1
                first = self._dropped == 1
            if first:
                _log.warning("helicone_lite: PostHog queue full; events are being dropped")

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = background_thread(self._run, "helicone-lite-posthog")
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._send(*item)
            except Exception:  # observability never breaks the application
                _log.warning("helicone_lite: PostHog event not sent", exc_info=True)
            finally:
                self._queue.task_done()

    def _send(self, key: str, host: str, event: str, row: dict[str, Any], cost: Any) -> None:
        client = self._clients.get((key, host))
        if client is None:
            client = self._clients[(key, host)] = self._factory(key, host)
        distinct = row.get("user_id") or f"helicone-lite:{row.get('id')}"
        props = event_properties(row, _cost_of(row, cost))
        client.capture(event, distinct_id=str(distinct), properties=props)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is handed to PostHog and uploaded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        for client in list(self._clients.values()):
            client.flush()
        return True

    def close(self) -> None:
        """Send what is queued (10 s at most), then stop the thread and the PostHog clients."""
        thread = self._thread
        if thread is None:
            return
        self.flush(10.0)
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=1.0)
        thread.join(10.0)
        self._thread = None
        for client in list(self._clients.values()):
            client.shutdown()
        self._clients.clear()


def _posthog_client(key: str, host: str) -> Any:
    try:
        from posthog import Posthog
    except ImportError:
        raise ImportError(
            "Helicone-PostHog-Key needs the posthog package: pip install 'helicone-lite[posthog]'"
        ) from None
    return Posthog(key, host=host, max_retries=2, timeout=10, disable_geoip=True)
