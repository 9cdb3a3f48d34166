"""Cost in US dollars, from ``genai-prices`` (a maintained, offline price table).

``genai_prices`` takes ~0.4 s to import and ~0.2 ms per lookup, so it is imported on first use
and called from the store's writer thread, never on the caller's path.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

__all__ = ["Usage", "cost_usd"]

_log = logging.getLogger("helicone_lite")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts in OpenAI's convention: ``prompt_tokens`` includes cached input tokens."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def cost_usd(model: str | None, provider: str | None, usage: Usage) -> float | None:
    """Price one call; ``None`` when genai-prices does not know the model (never a guess).

    >>> cost_usd("gpt-4o-mini", "openai", Usage(prompt_tokens=1000, completion_tokens=0))
    0.00015
    """
    if not model:
        return None
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    price_usage = PriceUsage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        cache_read_tokens=usage.cached_tokens or None,
        cache_write_tokens=usage.cache_write_tokens or None,
    )
    try:
        result = calc_price(price_usage, model, provider_id=provider or None)
    except LookupError:
        if provider is None:
            return None
        return _without_provider(model, price_usage)
    except Exception:  # the price table must never fail a call
        _log.debug("genai-prices failed for %s/%s", provider, model, exc_info=True)
        return None
    return float(result.total_price)


def _without_provider(model: str, usage: object) -> float | None:
    from genai_prices import calc_price

    try:
        return float(calc_price(usage, model).total_price)  # type: ignore[arg-type,unused-ignore]
    except Exception:
        return None


@functools.lru_cache(maxsize=256)
def known_model(model: str, provider: str | None) -> bool:
    """Whether genai-prices can price ``model`` (for estimates made before a call)."""
    return cost_usd(model, provider, Usage(prompt_tokens=1)) is not None
