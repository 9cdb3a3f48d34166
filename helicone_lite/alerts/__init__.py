"""Alerts: thresholds on cost, error rate and p95 latency, checked as a client logs its calls.

>>> from helicone_lite.alerts import AlertRule
>>> rule = AlertRule.cost_over(50, window="1d", notify=["log", "https://hooks.example/x"])
>>> [c.describe() for c in rule.channels]
['log:helicone_lite.alerts', 'webhook:https://hooks.example/…']

``client.alerts`` is the engine of a client (``add`` / ``remove`` / ``list`` / ``flush``);
``Client(alerts=[AlertRule(...)])`` starts one with rules. See docs/alerts.md.
"""

from __future__ import annotations

from ._engine import AlertEngine
from ._history import StoredAlert, StoredEvent, alert_events, stored_alerts
from ._rules import AlertEvent, AlertRule, Callback, Log, Webhook, parse_seconds

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
    "parse_seconds",
    "stored_alerts",
]
