"""Client-level settings: everything ``Client(...)`` accepts beyond ``openai.OpenAI``'s arguments.

One frozen dataclass, the only place client settings have their defaults. It is validated when
built (``OptionsError`` naming the setting, the value and what is allowed: before any thread,
file or connection is opened); ``Runtime`` then hands each layer the fields it uses as explicit
constructor arguments. Unknown keyword arguments to ``Client`` raise ``TypeError`` naming them,
as a Python function would.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import OptionsError
from ..cache._policies import EVICTION_POLICIES

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from ..alerts import AlertRule
    from ..providers import ProviderConfig
    from ..security import Detector
    from ._stack import Interceptor

__all__ = ["Settings"]


def _env_redis() -> str | None:
    return os.environ.get("HELICONE_LITE_REDIS_URL") or None


def _env_cache_secret() -> str | None:
    return os.environ.get("HELICONE_LITE_CACHE_SECRET") or None


def _env_database() -> str | None:
    return os.environ.get("HELICONE_LITE_DATABASE_URL") or None


def _env_capture_content() -> bool:
    # the variable OpenTelemetry's own GenAI instrumentations read
    value = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
    return value.strip().lower() == "true"


def _env_classifier() -> str | None:
    value = os.environ.get("HELICONE_LITE_SECURITY_CLASSIFIER")
    return "protectai/deberta-v3-base-prompt-injection-v2" if value is None else value


def _env_judge() -> str | None:
    return os.environ.get("HELICONE_LITE_SECURITY_JUDGE_MODEL") or None


@dataclass(frozen=True)
class Settings:
    """Settings of one client (shared by its ``with_options`` copies).

    ``clock`` (epoch seconds), ``monotonic``, ``sleep``, ``async_sleep`` and ``rng`` are injectable
    so tests never wait on real time or real randomness.
    """

    home: Path | str | None = None
    redis_url: str | None = field(default_factory=_env_redis)
    #: where the log and product data live instead of ``<home>/helicone.db``: a
    #: ``postgresql://`` URL (shared by many machines, docs/scaling.md) or a SQLite path/URL
    database_url: str | None = field(default_factory=_env_database)
    providers: Sequence[ProviderConfig | Mapping[str, object]] = ()
    interceptors: Sequence[Interceptor] = ()
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    log_bodies: bool = True
    #: an unknown ``Helicone-*`` header (a likely typo) raises ``OptionsError`` naming the
    #: nearest valid one; False only logs a warning (once per name) and ignores it.
    strict_headers: bool = True
    #: fallback cooldown: a target failing ``cooldown_failures`` times in a row is skipped for
    #: its Retry-After, else ``cooldown_seconds``; ``cooldown=False`` turns it off.
    cooldown: bool = True
    cooldown_failures: int = 3
    cooldown_seconds: float = 30.0
    #: the local cache's (``$HELICONE_LITE_HOME/cache``) size bound in bytes, and how it evicts
    #: past it (a diskcache policy: ``least-recently-stored``, ``least-recently-used``,
    #: ``least-frequently-used`` or ``none``).
    cache_size_limit: int = 1 << 30
    cache_eviction_policy: str = "least-recently-stored"
    #: the MAC key of cache entries (at least 16 characters; processes sharing a Redis cache
    #: must share it); None: the per-home secret file ``<home>/cache.key``. docs/security.md.
    cache_secret: str | bytes | None = field(default_factory=_env_cache_secret, repr=False)
    #: when the rate limiter's store (SQLite file / Redis) fails: admit calls unchecked
    #: (True) or refuse them with a 503 (False, the default). Either way it is logged once.
    ratelimit_fail_open: bool = False
    #: the rate limiter's Redis socket timeout (seconds). After one failure the limiter's
    #: circuit breaker opens for ``ratelimit_breaker_seconds`` (on ``monotonic``): calls get the
    #: fail-closed/fail-open answer at once, without touching the store; then one call probes.
    ratelimit_timeout: float = 2.0
    ratelimit_breaker_seconds: float = 5.0
    # OpenTelemetry export (helicone_lite/otel/, docs/opentelemetry.md)
    otel: bool = False
    tracer_provider: TracerProvider | None = None  # opentelemetry's (imported only to type)
    otel_capture_content: bool = field(default_factory=_env_capture_content)
    #: alert rules (``helicone_lite.alerts.AlertRule``) checked as this client logs calls;
    #: more can be added with ``client.alerts.add(...)``. See docs/alerts.md.
    alerts: Sequence[AlertRule] = ()
    #: alert webhooks may post to loopback, private and link-local addresses (off: refused, so
    #: a webhook URL cannot reach internal services or cloud metadata). docs/security.md.
    webhook_allow_private: bool = False
    #: delete requests (with their properties, attempts, scores) older than this many days:
    #: a background thread of the client prunes at start, then hourly (docs/cli.md,
    #: "Retention"). ``None`` keeps everything.
    retention_days: float | None = None
    #: your prices (model pattern -> US dollars per million tokens), before genai-prices and
    #: ``<home>/prices.json``; see docs/costs.md.
    prices: Mapping[str, Mapping[str, float]] | None = None
    #: base URLs (or hosts) of Helicone gateways besides Helicone's own endpoints, e.g. a
    #: self-hosted AI gateway: a client built with one talks to providers directly
    #: (docs/providers.md).
    helicone_gateways: Sequence[str] = ()
    # LLM security (helicone_lite/security/, docs/llm-security.md): "block" refuses a flagged call,
    # "flag" lets it pass; either way the row records the verdict.
    security_mode: str = "block"
    #: detectors used for Helicone-LLM-Security-* / -Prompt-Guard-* instead of the built-ins
    security_detectors: Sequence[Detector] = ()
    #: a model judging in Llama Guard's format, through any configured provider
    security_judge_model: str | None = field(default_factory=_env_judge)
    #: the local prompt-injection classifier (a Hub id or a directory; "none" turns it off);
    #: used when the `security` extra (transformers, torch) is installed
    security_classifier: str | None = field(default_factory=_env_classifier)
    security_threshold: float = 0.5

    def __post_init__(self) -> None:
        for name, ok, allowed in _RULES:
            value = getattr(self, name)
            _check(name, value, ok(value), allowed)
        secret = self.cache_secret
        _check(
            "cache_secret",
            "<hidden>" if secret else secret,  # a key is never shown
            secret is None or (isinstance(secret, (str, bytes)) and len(secret) >= 16),
            "None or a str/bytes of at least 16 characters",
        )
        _check_database_url(self.database_url)
        for interceptor in self.interceptors:
            _check(
                "interceptors",
                interceptor,
                callable(getattr(interceptor, "handle", None)),
                "objects with a handle(call) method",
            )
        if self.alerts:
            from ..alerts import AlertRule  # only for clients that have alerts

            for rule in self.alerts:
                _check(
                    "alerts",
                    rule,
                    isinstance(rule, AlertRule),
                    "a list of helicone_lite.alerts.AlertRule",
                )

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))


def _check(name: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise OptionsError(name, value, allowed)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_database_url(url: object) -> None:
    from ..store._engine import describe_url, resolve_database

    allowed = "a postgresql:// URL, a sqlite:///path URL, a file path, or None"
    _check("database_url", type(url).__name__, url is None or isinstance(url, str), allowed)
    try:
        resolve_database(url)  # type: ignore[arg-type]
    except ValueError:
        shown = describe_url(str(url)) if "@" in str(url) else url  # never the password
        _check("database_url", shown, False, allowed)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _boolean(value: object) -> bool:
    return isinstance(value, bool)


def _seconds(value: object) -> bool:
    return _number(value) and value > 0  # type: ignore[operator]


#: (setting, is its value allowed, what is allowed): checked in this order by ``Settings``
_RULES: tuple[tuple[str, Callable[[object], bool], str], ...] = (
    *(
        (name, _boolean, "True or False")
        for name in (
            "log_bodies",
            "cooldown",
            "ratelimit_fail_open",
            "otel",
            "strict_headers",
            "webhook_allow_private",
            "otel_capture_content",
        )
    ),
    ("cooldown_failures", _count, "a whole number >= 1"),
    (
        "cooldown_seconds",
        lambda v: _number(v) and v >= 0,  # type: ignore[operator]
        "a number of seconds >= 0",
    ),
    ("ratelimit_timeout", _seconds, "a number of seconds > 0"),
    ("ratelimit_breaker_seconds", _seconds, "a number of seconds > 0"),
    ("cache_size_limit", _count, "a positive number of bytes"),
    (
        "cache_eviction_policy",
        lambda v: v in EVICTION_POLICIES,
        "one of " + ", ".join(EVICTION_POLICIES),
    ),
    ("redis_url", lambda v: v is None or isinstance(v, str), "a redis:// URL or None"),
    (
        "tracer_provider",
        lambda v: v is None or callable(getattr(v, "get_tracer", None)),
        "an OpenTelemetry TracerProvider (or None)",
    ),
    *((name, callable, "a function") for name in ("clock", "monotonic", "sleep", "async_sleep")),
    ("rng", lambda v: isinstance(v, random.Random), "a random.Random"),
    (
        "retention_days",
        lambda v: v is None or (_number(v) and v > 0),  # type: ignore[operator]
        "a number of days above 0, or None",
    ),
)
