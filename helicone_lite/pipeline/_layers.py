"""The stack and the hooks of a client, declared once, in order.

Outermost first. The order follows Helicone's proxy: a cache hit is answered before the rate
limiter (so it is never counted), and retry sits inside fallback (each target gets its own
retries). User interceptors (``Client(interceptors=[...])``) run inside the prompt layer and
outside the cache, so they see rendered calls and every call, hit or miss.

Each entry builds its layer with explicit constructor arguments from :class:`Parts` (the
validated settings and what the runtime owns); no layer sees the runtime. Layers and hooks with
a ``close()`` are closed by the runtime, in reverse order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .._prices import PriceTable
from ..cache import describe_backend, open_backend
from ..cache._layer import Cache
from ..prompts._layer import Prompts
from ..prompts._registry import PromptRegistry
from ..providers import ProviderRegistry
from ..ratelimit import open_buckets
from ..ratelimit._layer import RateLimiter
from ..retry._cooldown import Cooldown
from ..retry._fallback import Fallback
from ..retry._retry import Retry
from ..security._layer import Security
from ..store import Store
from ..store._recorder import Recorder
from ..tokenlimit._layer import TokenLimit
from ._hooks import Hook, Hooks
from ._settings import Settings
from ._stack import Interceptor, Stack

if TYPE_CHECKING:
    from ..alerts import AlertEngine

__all__ = ["HOOKS", "LAYERS", "USER", "Parts", "build_hooks", "build_stack"]


@dataclass(frozen=True, slots=True)
class Parts:
    """What the runtime gives the layer and hook builders: nothing else reaches a layer."""

    settings: Settings
    home: Path
    store: Store
    providers: ProviderRegistry
    hooks: Hooks


def _recorder(p: Parts) -> Recorder:
    # Client(prices=...) then <home>/prices.json; a bad table fails the client's construction
    prices = PriceTable.load(p.settings.prices, p.home)
    return Recorder(p.store, p.hooks, prices=prices, monotonic=p.settings.monotonic)


def _prompts(p: Parts) -> Prompts:
    registry = PromptRegistry(p.store, clock=p.settings.clock)
    return Prompts(registry, p.providers.resolve, monotonic=p.settings.monotonic)


def _security(p: Parts) -> Security:
    s = p.settings
    return Security(
        p.providers,
        mode=s.security_mode,
        detectors=s.security_detectors,
        judge_model=s.security_judge_model,
        classifier=s.security_classifier,
        threshold=s.security_threshold,
    )


def _tokenlimit(p: Parts) -> TokenLimit:
    return TokenLimit()


def _cache(p: Parts) -> Cache:
    s = p.settings
    return Cache(
        partial(
            open_backend,
            p.home,
            redis_url=s.redis_url,
            size_limit=s.cache_size_limit,
            eviction_policy=s.cache_eviction_policy,
        ),
        describe=describe_backend(p.home, redis_url=s.redis_url),
        clock=s.clock,
        monotonic=s.monotonic,
        rng=s.rng,
        home=p.home,
        secret=s.cache_secret,
    )


def _ratelimit(p: Parts) -> RateLimiter:
    s = p.settings
    return RateLimiter(
        partial(open_buckets, p.home, redis_url=s.redis_url, timeout=s.ratelimit_timeout),
        clock=s.clock,
        monotonic=s.monotonic,
        fail_open=s.ratelimit_fail_open,
        breaker_seconds=s.ratelimit_breaker_seconds,
    )


def _fallback(p: Parts) -> Fallback:
    s = p.settings
    cooldown = (
        Cooldown(s.cooldown_failures, float(s.cooldown_seconds), s.monotonic)
        if s.cooldown
        else None
    )
    return Fallback(p.store, clock=s.clock, cooldown=cooldown)


def _retry(p: Parts) -> Retry:
    s = p.settings
    return Retry(clock=s.clock, monotonic=s.monotonic, rng=s.rng)


#: Where ``Client(interceptors=[...])`` go in ``LAYERS``.
USER = "user"

#: (name, builder), outermost first; ``USER`` has no builder.
LAYERS: tuple[tuple[str, Callable[[Parts], Interceptor] | None], ...] = (
    ("recorder", _recorder),
    ("prompts", _prompts),
    (USER, None),
    ("security", _security),  # before the cache and the limiter: a refused call costs nothing
    ("tokenlimit", _tokenlimit),  # before the cache: the key is that of the call as sent
    ("cache", _cache),
    ("ratelimit", _ratelimit),
    ("fallback", _fallback),
    ("retry", _retry),
)


def alert_engine(p: Parts) -> AlertEngine:
    """A new alert engine for this client (``alerts=`` rules, or ``client.alerts`` used)."""
    from ..alerts import AlertEngine  # imported only by clients with alerts

    return AlertEngine(
        p.store, p.settings.clock, webhook_allow_private=p.settings.webhook_allow_private
    )


def _alerts(p: Parts) -> Hook | None:
    if not p.settings.alerts:
        return None
    engine = alert_engine(p)
    for rule in p.settings.alerts:
        engine.add(rule)
    return engine


def _otel(p: Parts) -> Hook | None:
    s = p.settings
    if not s.otel and s.tracer_provider is None:
        return None  # opentelemetry is imported only by clients that ask for it
    from ..otel import OTelExporter

    return OTelExporter(s.tracer_provider, capture_content=s.otel_capture_content)


#: (name, builder) of the hooks that watch the log; a builder returns None when unused.
def _posthog(p: Parts) -> Hook:
    from ..posthog_export import PostHogExporter

    return PostHogExporter()


HOOKS: tuple[tuple[str, Callable[[Parts], Hook | None]], ...] = (
    ("alerts", _alerts),  # Client(alerts=[...]); client.alerts adds one later if needed
    ("otel", _otel),  # Client(otel=True) / tracer_provider=
    ("posthog", _posthog),  # Helicone-PostHog-Key calls; idle (no thread) until the first one
)


def build_stack(parts: Parts, user: tuple[Interceptor, ...]) -> Stack:
    """The layers in order; the tuple is frozen for the client's life (with each layer's
    ``wants`` looked up once: :class:`Stack`)."""
    stack: list[Interceptor] = []
    for _name, build in LAYERS:
        if build is None:
            stack.extend(user)
        else:
            stack.append(build(parts))
    return Stack(stack)


def build_hooks(parts: Parts) -> list[Hook]:
    """The hooks the settings ask for, in ``HOOKS`` order."""
    return [hook for _, build in HOOKS if (hook := build(parts)) is not None]
