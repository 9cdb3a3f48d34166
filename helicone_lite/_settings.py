"""Client-level settings: everything ``Client(...)`` accepts beyond ``openai.OpenAI``'s arguments.

One frozen dataclass; each feature reads its own fields. Unknown keyword arguments to ``Client``
raise ``TypeError`` naming them, as a Python function would.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["Settings"]


def _env_redis() -> str | None:
    return os.environ.get("HELICONE_LITE_REDIS_URL") or None


def _env_capture_content() -> bool:
    # the variable OpenTelemetry's own GenAI instrumentations read
    value = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
    return value.strip().lower() == "true"


@dataclass(frozen=True)
class Settings:
    """Settings of one client (shared by its ``with_options`` copies).

    ``clock`` (epoch seconds), ``monotonic``, ``sleep``, ``async_sleep`` and ``rng`` are injectable
    so tests never wait on real time or real randomness.
    """

    home: Path | str | None = None
    redis_url: str | None = field(default_factory=_env_redis)
    providers: Sequence[Any] = ()
    interceptors: Sequence[Any] = ()
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    log_bodies: bool = True
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
    #: when the rate limiter's store (SQLite file / Redis) fails: admit calls unchecked
    #: (True) or refuse them with a 503 (False, the default). Either way it is logged once.
    ratelimit_fail_open: bool = False
    # OpenTelemetry export (helicone_lite/otel/, docs/opentelemetry.md)
    otel: bool = False
    tracer_provider: Any = None
    otel_capture_content: bool = field(default_factory=_env_capture_content)
    #: alert rules (``helicone_lite.alerts.AlertRule``) checked as this client logs calls;
    #: more can be added with ``client.alerts.add(...)``. See docs/alerts.md.
    alerts: Sequence[Any] = ()
    #: delete requests (with their properties, attempts, scores) older than this many days:
    #: a background thread of the client prunes at start, then hourly (docs/cli.md,
    #: "Retention"). ``None`` keeps everything.
    retention_days: float | None = None

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))
