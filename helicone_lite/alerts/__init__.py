"""Alerts: thresholds on cost, error rate and p95 latency, checked as a client logs its calls.

>>> from helicone_lite.alerts import AlertRule
>>> rule = AlertRule.cost_over(50, window="1d", notify=["log", "https://hooks.example/x"])
>>> [c.describe() for c in rule.channels]
['log:helicone_lite.alerts', 'webhook:https://hooks.example/…']

``client.alerts`` is the engine of a client (``add`` / ``remove`` / ``list`` / ``flush``);
``Client(alerts=[AlertRule(...)])`` starts one with rules. See docs/alerts.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._engine import AlertEngine
from ._history import StoredAlert, StoredEvent, alert_events, stored_alerts
from ._rules import AlertEvent, AlertRule, Callback, Log, Webhook, parse_seconds

if TYPE_CHECKING:
    from ..pipeline._runtime import Runtime

__all__ = [
    "AlertEngine",
    "AlertEvent",
    "AlertRule",
    "Callback",
    "Log",
    "StoredAlert",
    "StoredEvent",
    "Webhook",
    "alert_events",
    "alerts_for",
    "parse_seconds",
    "stored_alerts",
]


def alerts_for(runtime: Runtime) -> AlertEngine:
    """The client's engine: the ``AlertEngine`` among its ``on_record`` hooks, created (and
    hooked) on first use. One per runtime, so ``with_options()`` copies share it."""
    with runtime.lock:
        for hook in runtime.on_record:
            if isinstance(hook, AlertEngine):
                return hook
        engine = AlertEngine(
            runtime.store,
            runtime.clock,
            webhook_allow_private=getattr(runtime.settings, "webhook_allow_private", False),
        )
        runtime.on_record.append(engine)
        return engine
