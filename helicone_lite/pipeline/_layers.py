"""The order of the interceptor stack, declared once.

Outermost first. The order follows Helicone's proxy: a cache hit is answered before the rate
limiter (so it is never counted), and retry sits inside fallback (each target gets its own
retries). User interceptors (``Client(interceptors=[...])``) run inside the prompt layer and
outside the cache, so they see rendered calls and every call, hit or miss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._analytics import install_alerts
from ..cache._layer import Cache
from ..posthog_export import install_posthog
from ..prompts._layer import Prompts
from ..ratelimit._layer import RateLimiter
from ..retry._fallback import Fallback
from ..retry._retry import Retry
from ..security._layer import Security
from ..store._recorder import Recorder
from ..tokenlimit._layer import TokenLimit
from ._stack import Interceptor

if TYPE_CHECKING:
    from ._runtime import Runtime

__all__ = ["LAYERS", "build_stack"]

USER = "user"

#: (name, factory); a factory returns the interceptor, or None when the feature is unused.
LAYERS: Sequence[tuple[str, Callable[[Runtime], Any] | None]] = (
    ("alerts", install_alerts),  # no interceptor: arms Client(alerts=[...]) on runtime.on_record
    ("posthog", install_posthog),  # no interceptor: Helicone-PostHog-* events via on_record
    ("recorder", Recorder),
    ("prompts", Prompts),
    (USER, None),
    ("security", Security),  # before the cache and the limiter: a refused call costs nothing
    ("tokenlimit", TokenLimit),  # before the cache: the key is that of the call as sent
    ("cache", Cache),
    ("ratelimit", RateLimiter),
    ("fallback", Fallback),
    ("retry", Retry),
)


def build_stack(runtime: Runtime, user: Sequence[Interceptor]) -> tuple[Interceptor, ...]:
    """Instantiate the layers in order; the tuple is frozen for the client's life."""
    stack: list[Interceptor] = []
    for name, factory in LAYERS:
        if name == USER:
            stack.extend(_checked(i) for i in user)
            continue
        assert factory is not None
        layer = factory(runtime)
        if layer is not None:
            stack.append(layer)
    return tuple(stack)


def _checked(interceptor: Any) -> Interceptor:
    if not callable(getattr(interceptor, "handle", None)):
        raise TypeError(f"interceptor {interceptor!r} has no handle(call) method")
    return interceptor  # type: ignore[no-any-return]
