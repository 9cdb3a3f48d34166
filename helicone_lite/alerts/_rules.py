"""Alert rules and where they are delivered.

>>> rule = AlertRule.cost_over(5.0, window="1d", user="patient-7829", notify=["log"])
>>> rule.metric, rule.window_seconds, rule.cooldown_seconds
('cost', 86400.0, 86400.0)
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from .._errors import OptionsError

__all__ = [
    "METRICS",
    "AlertEvent",
    "AlertRule",
    "Callback",
    "Channel",
    "Log",
    "Webhook",
    "parse_seconds",
]

Metric = Literal["cost", "error_rate", "p95_latency"]
METRICS: tuple[Metric, ...] = ("cost", "error_rate", "p95_latency")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_NO_PROPERTIES: Mapping[str, str] = MappingProxyType({})


def parse_seconds(value: float | str, option: str) -> float:
    """``3600``, ``"1h"``, ``"30m"``, ``"1d"`` → seconds (must be positive)."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise OptionsError(option, value, "a positive duration: seconds, or 30m, 1h, 1d, 1w")
    return seconds


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One firing of a rule: what webhooks receive as JSON and callbacks as this object."""

    alert_id: str
    name: str
    metric: str
    value: float
    threshold: float
    window_seconds: float
    requests: int
    fired_at: str
    message: str
    request_id: str | None
    filters: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "name": self.name,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "window_seconds": self.window_seconds,
            "requests": self.requests,
            "fired_at": self.fired_at,
            "message": self.message,
            "request_id": self.request_id,
            "filters": dict(self.filters),
        }


@dataclass(frozen=True, slots=True)
class Callback:
    """Deliver to a Python function, called with the :class:`AlertEvent` (in the alerts
    thread, never in the caller's)."""

    function: Callable[[AlertEvent], object]

    def describe(self) -> str:
        name = getattr(self.function, "__qualname__", type(self.function).__name__)
        return f"callback:{getattr(self.function, '__module__', '?')}.{name}"


@dataclass(frozen=True, slots=True)
class Log:
    """Deliver to ``logging`` (logger ``helicone_lite.alerts`` by default, WARNING)."""

    logger: str = "helicone_lite.alerts"
    level: int = logging.WARNING

    def describe(self) -> str:
        return f"log:{self.logger}"


@dataclass(frozen=True, slots=True)
class Webhook:
    """POST the event as JSON to ``url`` (urllib, from a background thread; failures are
    logged once per URL, never raised). The URL is a secret for many services (Slack):
    only its scheme and host are ever stored or logged."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 5.0
    #: deliver even if the host resolves to a loopback, private or link-local address
    #: (refused by default; docs/security.md). No webhook delivery follows redirects.
    allow_private: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url) if isinstance(self.url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise OptionsError("webhook", self.url, "an http:// or https:// URL")
        if not (isinstance(self.timeout, (int, float)) and self.timeout > 0):
            raise OptionsError("webhook timeout", self.timeout, "a positive number of seconds")

    def describe(self) -> str:
        parts = urlsplit(self.url)
        return f"webhook:{parts.scheme}://{parts.hostname}/…"


Channel = Callback | Log | Webhook


def _channel(value: object) -> Channel:
    if isinstance(value, (Callback, Log, Webhook)):
        return value
    if isinstance(value, str):
        if value == "log":
            return Log()
        return Webhook(value)
    if isinstance(value, logging.Logger):
        return Log(value.name)
    if callable(value):
        return Callback(value)
    raise OptionsError(
        "notify", value, "'log', a logging.Logger, a callable, or a webhook URL (or a list)"
    )


def _channels(value: object) -> tuple[Channel, ...]:
    if value is None:
        return (Log(),)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return (_channel(value),)
    channels = tuple(_channel(v) for v in value)
    if not channels:
        raise OptionsError("notify", value, "at least one channel")
    return channels


def _text(value: object, option: str) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise OptionsError(option, value, "a non-empty string")


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A threshold on a rolling window of the calls a client logs.

    * ``metric``: ``"cost"`` (US dollars summed over the window), ``"error_rate"`` (percent
      of non-2xx calls), ``"p95_latency"`` (milliseconds, nearest rank).
    * ``threshold``: fires when the value is *over* it (and the window holds at least
      ``min_requests`` matching calls).
    * ``window``: seconds (or ``"1h"``, ``"1d"`` …); ``cooldown``: after firing, stay quiet
      this long (default: one window).
    * ``user`` / ``model`` / ``provider`` / ``properties``: only calls that match count.
    * ``notify``: ``"log"`` (default), a ``logging.Logger``, a callable, a webhook URL, the
      :class:`Log`/:class:`Callback`/:class:`Webhook` objects, or a list of these.
    * ``id``: stable key of the rule and its firing history in the store (default: ``name``).

    Use the constructors: :meth:`cost_over`, :meth:`error_rate_over`, :meth:`p95_latency_over`.
    """

    name: str
    metric: Metric
    threshold: float
    window: float | str = 3600.0
    min_requests: int = 1
    cooldown: float | str | None = None
    user: str | None = None
    model: str | None = None
    provider: str | None = None
    properties: Mapping[str, str] = field(default_factory=lambda: _NO_PROPERTIES)
    notify: Any = None
    id: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name.strip():
            raise OptionsError("name", self.name, "a non-empty alert name")
        if self.metric not in METRICS:
            raise OptionsError("metric", self.metric, ", ".join(METRICS))
        threshold = self.threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise OptionsError("threshold", threshold, "a number")
        if not math.isfinite(threshold) or threshold < 0:
            raise OptionsError("threshold", threshold, "a finite number >= 0")
        set_(self, "threshold", float(threshold))
        set_(self, "window", parse_seconds(self.window, "window"))
        cooldown = self.window if self.cooldown is None else self.cooldown
        set_(self, "cooldown", parse_seconds(cooldown, "cooldown"))
        count = self.min_requests
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise OptionsError("min_requests", count, "a whole number >= 1")
        for option in ("user", "model", "provider"):
            _text(getattr(self, option), option)
        props = {}
        for key, value in dict(self.properties or {}).items():
            props[str(_text(key, "properties")).lower()] = str(_text(value, f"properties[{key!r}]"))
        set_(self, "properties", MappingProxyType(props))
        set_(self, "notify", _channels(self.notify))
        set_(self, "id", _text(self.id, "id") or self.name)

    @classmethod
    def cost_over(
        cls, usd: float, *, window: float | str = "1d", name: str | None = None, **options: Any
    ) -> AlertRule:
        """Fires when the calls in ``window`` cost more than ``usd`` dollars."""
        return cls(name or f"cost over ${usd:g} in {window}", "cost", usd, window, **options)

    @classmethod
    def error_rate_over(
        cls,
        percent: float,
        *,
        window: float | str = "1h",
        min_requests: int = 10,
        name: str | None = None,
        **options: Any,
    ) -> AlertRule:
        """Fires when more than ``percent`` % of at least ``min_requests`` calls failed."""
        if isinstance(percent, (int, float)) and not 0 <= percent <= 100:
            raise OptionsError("percent", percent, "a percentage from 0 to 100")
        title = name or f"error rate over {percent:g} % in {window}"
        return cls(title, "error_rate", percent, window, min_requests, **options)

    @classmethod
    def p95_latency_over(
        cls,
        ms: float,
        *,
        window: float | str = "1h",
        min_requests: int = 5,
        name: str | None = None,
        **options: Any,
    ) -> AlertRule:
        """Fires when the 95th percentile latency of at least ``min_requests`` calls is over
        ``ms`` milliseconds."""
        title = name or f"p95 latency over {ms:g} ms in {window}"
        return cls(title, "p95_latency", ms, window, min_requests, **options)

    @property
    def window_seconds(self) -> float:
        """The window in seconds (``window`` as given is normalised to seconds)."""
        return float(self.window)

    @property
    def cooldown_seconds(self) -> float:
        return float(self.window if self.cooldown is None else self.cooldown)

    @property
    def key(self) -> str:
        assert self.id is not None
        return self.id

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self.notify)

    def filters(self) -> dict[str, Any]:
        """The rule's filters as JSON (for the store and the webhook payload)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in ("user", "model", "provider")}
        out = {k: v for k, v in out.items() if v is not None}
        if self.properties:
            out["properties"] = dict(self.properties)
        return out

    def matches(
        self,
        user: str | None,
        model: str | None,
        provider: str | None,
        properties: Mapping[str, str],
    ) -> bool:
        """Whether a call with these attributes counts for this rule."""
        if self.user is not None and user != self.user:
            return False
        if self.model is not None and model != self.model:
            return False
        if self.provider is not None and provider != self.provider:
            return False
        return all(properties.get(k) == v for k, v in self.properties.items())
