"""The alert engine: rules checked in process, as a client logs its calls.

The engine is a hook of a client's runtime (``pipeline.Hook``, closed with the client). On the
caller's thread it only stamps the call with the injected clock and queues it (a few
microseconds; nothing is priced, nothing is read from SQLite). One background thread per engine then prices the call, updates each
matching rule's rolling window, fires rules over their threshold (outside their cooldown),
records the firing in the store (``alert_events``) and delivers it. So a slow webhook or a
failing callback never delays or fails the user's call; ``flush()`` waits for the thread.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._threads import background_thread
from ..store import Store, iso_from_epoch, utcnow_iso
from ._delivery import Deliverer
from ._rules import AlertEvent, AlertRule
from ._windows import Window, window_for

if TYPE_CHECKING:
    from ..pipeline._call import Call, Result

__all__ = ["AlertEngine"]

_log = logging.getLogger("helicone_lite")
_STOP = object()


@dataclass(slots=True)
class _Armed:
    rule: AlertRule
    window: Window
    last_fired: float | None = None


@dataclass(frozen=True, slots=True)
class _Sample:
    at: float
    request_id: str
    user: str | None
    model: str | None
    provider: str | None
    properties: Mapping[str, str]
    failed: bool
    latency_ms: float | None
    cost: Callable[[], float | None]


def _seconds(seconds: float) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _message(rule: AlertRule, value: float, count: int) -> str:
    span = _seconds(rule.window_seconds)
    if rule.metric == "cost":
        text = f"cost ${value:.4f} in the last {span} is over ${rule.threshold:g}"
    elif rule.metric == "error_rate":
        text = (
            f"error rate {value:.1f} % of {count} calls in the last {span} is over "
            f"{rule.threshold:g} %"
        )
    else:
        text = (
            f"p95 latency {value:.0f} ms of {count} calls in the last {span} is over "
            f"{rule.threshold:g} ms"
        )
    where = ", ".join(f"{k}={v}" for k, v in rule.filters().items())
    return f"[{rule.name}] {text}" + (f" ({where})" if where else "")


def _cost_of(row: Mapping[str, Any] | None, result: Result) -> Callable[[], float | None]:
    if row is not None and row.get("cost_usd") is not None:
        known = float(row["cost_usd"])
        return lambda: known
    compute = row.get("_cost") if row is not None else None
    if callable(compute):
        return compute  # type: ignore[no-any-return]
    logged = result.log.get("cost_usd")
    return lambda: float(logged) if isinstance(logged, (int, float)) else None


def _sample(
    at: float, ended: float, call: Call, result: Result, row: Mapping[str, Any] | None
) -> _Sample:
    status = row.get("status") if row is not None else result.log.get("status")
    if status is None:
        status = 200 if result.error is None else getattr(result.error, "status_code", 0)
    latency = row.get("latency_ms") if row is not None else None
    if latency is None:
        latency = round((ended - call.started) * 1000, 3) if call.started else None
    provider = (row or {}).get("provider") or result.log.get("provider")
    return _Sample(
        at=at,
        request_id=call.id,
        user=call.options.user_id,
        model=call.model,
        provider=provider if provider is None else str(provider),
        properties=call.options.properties,
        failed=not (isinstance(status, int) and 200 <= status <= 299),
        latency_ms=None if latency is None else float(latency),
        cost=_cost_of(row, result),
    )


class AlertEngine:
    """Alert rules for one client (``client.alerts``) or one store.

    >>> rule = AlertRule.error_rate_over(5, min_requests=20, notify=[on_alert])  # doctest: +SKIP
    >>> engine.add(rule)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        *,
        webhook_allow_private: bool = False,
    ) -> None:
        self.store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._armed: dict[str, _Armed] = {}
        self._deliverer = Deliverer(allow_private=webhook_allow_private)
        self._done = threading.Condition()
        self._submitted = 0
        self._processed = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._failed_once = False

    # --- rules ---

    def add(self, rule: AlertRule) -> AlertRule:
        """Start checking ``rule`` (replacing a rule with the same id, whose window restarts).
        The rule is recorded in the store's ``alerts`` table."""
        if not isinstance(rule, AlertRule):
            raise TypeError(f"expected an AlertRule, got {rule!r}")
        with self._lock:
            self._armed[rule.key] = _Armed(rule, window_for(rule.metric, rule.window_seconds))
        self.store.write("alerts", self._row(rule, enabled=True))
        return rule

    def remove(self, rule: AlertRule | str) -> bool:
        """Stop checking a rule (by object or id); its history stays in the store."""
        key = rule.key if isinstance(rule, AlertRule) else rule
        with self._lock:
            armed = self._armed.pop(key, None)
        if armed is not None:
            self.store.write("alerts", self._row(armed.rule, enabled=False))
        return armed is not None

    def list(self) -> list[AlertRule]:
        """The rules being checked, in the order they were added."""
        with self._lock:
            return [armed.rule for armed in self._armed.values()]

    def __len__(self) -> int:
        return len(self._armed)

    def _row(self, rule: AlertRule, *, enabled: bool) -> dict[str, Any]:
        return {
            "id": rule.key,
            "name": rule.name,
            "metric": rule.metric,
            "threshold": rule.threshold,
            "window_seconds": rule.window_seconds,
            "min_requests": rule.min_requests,
            "filters": rule.filters(),
            "cooldown_seconds": rule.cooldown_seconds,
            "channels": [channel.describe() for channel in rule.channels],
            "enabled": int(enabled),
            "created_at": utcnow_iso(self._clock),
        }

    # --- the hook (caller's thread: cheap, never raises) ---

    def __call__(self, call: Call, result: Result, row: Mapping[str, Any] | None = None) -> None:
        if not self._armed:
            return
        try:
            self._enqueue((self._clock(), time.perf_counter(), call, result, row))
        except Exception:  # an alert must never fail a call
            self._report("could not queue a call for the alert rules")

    def record(self, call: Call, result: Result, row: Mapping[str, Any] | None = None) -> None:
        """The recorder's hook (see ``pipeline.Hook``): the same as calling the engine."""
        self(call, result, row)

    def _enqueue(self, item: Any) -> None:
        with self._done:
            if self._thread is None or self._pid != os.getpid():
                self._start()
            self._submitted += 1
        self._queue.put(item)

    def _start(self) -> None:
        # (re)started lazily, and again in a forked child, which inherits no thread
        self._pid = os.getpid()
        self._queue = queue.SimpleQueue()
        self._submitted = self._processed = 0
        self._thread = background_thread(self._run, "helicone-lite-alerts")
        self._thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every call logged so far has been checked and its alerts delivered."""
        with self._done:
            target = self._submitted
            return self._done.wait_for(lambda: self._processed >= target, timeout)

    # --- the alerts thread ---

    def _run(self) -> None:
        work = self._queue
        while True:
            item = work.get()
            if item is _STOP:
                return
            try:
                self._check(_sample(*item))
            except Exception:
                self._report("checking the alert rules failed")
            finally:
                with self._done:
                    self._processed += 1
                    self._done.notify_all()

    def _check(self, sample: _Sample) -> None:
        with self._lock:
            armed = [
                a
                for a in self._armed.values()
                if a.rule.matches(sample.user, sample.model, sample.provider, sample.properties)
            ]
        cost: float | None = None
        if any(a.rule.metric == "cost" for a in armed):
            cost = sample.cost()
        for entry in armed:
            rule = entry.rule
            entry.window.add(sample.at, cost, sample.failed, sample.latency_ms)
            value, count = entry.window.value()
            if count < rule.min_requests or value <= rule.threshold:
                continue
            quiet = rule.cooldown_seconds
            if entry.last_fired is not None and sample.at - entry.last_fired < quiet:
                continue
            entry.last_fired = sample.at
            self._fire(rule, value, count, sample)

    def _fire(self, rule: AlertRule, value: float, count: int, sample: _Sample) -> None:
        event = AlertEvent(
            alert_id=rule.key,
            name=rule.name,
            metric=rule.metric,
            value=value,
            threshold=rule.threshold,
            window_seconds=rule.window_seconds,
            requests=count,
            fired_at=iso_from_epoch(sample.at),
            message=_message(rule, value, count),
            request_id=sample.request_id,
            filters=rule.filters(),
        )
        self.store.write(
            "alert_events",
            {
                "alert_id": rule.key,
                "fired_at": event.fired_at,
                "value": value,
                "message": event.message,
            },
        )
        for channel in rule.channels:
            self._deliverer.deliver(channel, event)

    def _report(self, what: str) -> None:
        if not self._failed_once:
            self._failed_once = True
            _log.warning("helicone_lite alerts: %s", what, exc_info=True)

    def close(self, timeout: float | None = 5.0) -> None:
        """Deliver what is pending, then stop the thread."""
        self.flush(timeout)
        if self._thread is not None and self._pid == os.getpid():
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None
