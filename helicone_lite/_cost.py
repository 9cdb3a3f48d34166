"""Cost in US dollars, from ``genai-prices`` (a maintained, offline price table).

``genai_prices`` takes ~0.4 s to import and 75-100 µs per ``calc_price`` (model matching,
price-unit registry, validation), so:

* it is imported by :func:`preload` before the store's writer thread starts (on the thread
  that starts it), never lazily on the writer thread: a lazy import there could hold an
  import lock across ``fork()`` and hang the child (see docs/reliability.md);
* the rates of each (model, provider) pair are read from it once per process and cached;
  pricing a row is then an integer sum (the Decimal rates over one denominator: ~0.5 µs,
  against ~1.2-1.7 for four Decimal multiplications; the same float). Rates are probed from
  genai-prices itself (the price of a million tokens of each kind), so a cached price equals
  ``calc_price``'s. Models priced in tiers (the rate depends on the prompt's size) are
  priced by ``calc_price`` on every call, as before.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Usage", "cost_of_counts", "cost_usd", "known_model", "preload"]

_log = logging.getLogger("helicone_lite")
_MILLION = 1_000_000
_UNKNOWN = "unknown"


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


@dataclass(frozen=True, slots=True)
class _Rates:
    """Dollars per million tokens of each kind, as genai-prices charges them."""

    uncached: Decimal
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal
    #: the rates as integers over one denominator (times a million): see :func:`_exact`
    exact: tuple[int, int, int, int, int] | None = None

    def price(self, usage: Usage) -> float | None:
        return self.price_counts(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            usage.cache_write_tokens,
        )

    def price_counts(self, prompt: int, completion: int, cached: int, written: int) -> float | None:
        uncached = prompt - cached - written
        if uncached < 0:
            return None  # inconsistent counts: let genai-prices judge (it refuses them)
        exact = self.exact
        if (
            exact is not None
            and type(prompt) is type(completion) is type(cached) is type(written) is int
            and completion >= 0
            and cached >= 0
            and written >= 0
        ):
            per_uncached, per_read, per_write, per_output, denominator = exact
            units = (
                per_uncached * uncached
                + per_read * cached
                + per_write * written
                + per_output * completion
            )
            if units < _EXACT_BELOW:  # the Decimal sum below is exact too: the same float
                return units / denominator
        total = (
            self.uncached * uncached
            + self.cache_read * cached
            + self.cache_write * written
            + self.output * completion
        )
        return float(total / _MILLION)


#: Decimal's 28 digits hold every product and the sum exactly below this many units of the
#: rates' last decimal place
_EXACT_BELOW = 10**27


def _exact(*rates: Decimal) -> tuple[int, int, int, int, int] | None:
    """The four rates as integers over a common denominator ``10**places * 1_000_000``.

    Why: four Decimal multiplications and a division cost ~1.7 µs a row on the writer; the
    same sum in integers ~0.3. Below :data:`_EXACT_BELOW` the Decimal arithmetic is exact as
    well (no rounding at 28 digits), and ``float(Decimal)`` and ``int / int`` both give the
    correctly rounded double of the same rational, so the stored cost is the same figure
    (tested). Rates that are not finite Decimals keep the Decimal way (None)."""
    if not all(type(rate) is Decimal and rate.is_finite() for rate in rates):
        return None
    places = max(0, *(-int(rate.as_tuple().exponent) for rate in rates))
    scale = 10**places
    scaled = []
    for rate in rates:
        numerator, denominator = rate.as_integer_ratio()
        scaled.append(numerator * (scale // denominator))
    uncached, read, write, output = scaled
    return uncached, read, write, output, scale * _MILLION


def preload() -> None:
    """Import genai-prices and everything it imports lazily, on the calling thread.

    Called before the writer thread starts. Failures are ignored (costs are then NULL).
    """
    try:
        _calc(Usage(prompt_tokens=1, completion_tokens=1), "gpt-4o-mini", "openai")
    except Exception:
        _log.debug("genai-prices could not be loaded", exc_info=True)


def cost_usd(model: str | None, provider: str | None, usage: Usage) -> float | None:
    """Price one call; ``None`` when genai-prices does not know the model (never a guess).

    >>> cost_usd("gpt-4o-mini", "openai", Usage(prompt_tokens=1000, completion_tokens=0))
    0.00015
    """
    if not model:
        return None
    rates = _rates(model, provider or None)
    if rates is _UNKNOWN:
        return None
    if isinstance(rates, _Rates):
        cost = rates.price(usage)
        if cost is not None:
            return cost
    return _calc_quietly(usage, model, provider or None)


def cost_of_counts(
    model: str | None, provider: str | None, prompt: int, completion: int, cached: int, written: int
) -> float | None:
    """``cost_usd(model, provider, Usage(prompt, completion, cached, written))``, the same
    figure, without making the ``Usage`` where the model's rates are linear (the log writer
    prices every row: issue 12, item 3)."""
    if not model:
        return None
    rates = _rates(model, provider or None)
    if rates is _UNKNOWN:
        return None
    if isinstance(rates, _Rates):
        cost = rates.price_counts(prompt, completion, cached, written)
        if cost is not None:
            return cost
    usage = Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=cached,
        cache_write_tokens=written,
    )
    return _calc_quietly(usage, model, provider or None)


@functools.lru_cache(maxsize=1024)
def _rates(model: str, provider: str | None) -> _Rates | str | None:
    """The linear rates of ``model`` (probed once per pair); ``_UNKNOWN`` for a model
    genai-prices does not know, None when it is not priced linearly."""
    try:
        if _is_tiered(model, provider):
            return None
    except LookupError:
        if provider is None:
            return _UNKNOWN
        return _rates(model, None)
    except Exception:
        return None
    try:
        uncached = _calc(Usage(prompt_tokens=_MILLION), model, provider)
        read = _calc(Usage(prompt_tokens=_MILLION, cached_tokens=_MILLION), model, provider)
        write = _calc(Usage(prompt_tokens=_MILLION, cache_write_tokens=_MILLION), model, provider)
        output = _calc(Usage(completion_tokens=_MILLION), model, provider)
    except Exception:  # unknown model, odd price shape: the slow path decides
        return None
    return _Rates(uncached, read, write, output, _exact(uncached, read, write, output))


def _is_tiered(model: str, provider: str | None) -> bool:
    from genai_prices import data_snapshot
    from genai_prices.types import TieredPrices

    snapshot = data_snapshot.get_snapshot()
    _, info = snapshot.find_provider_model(model, None, provider, None)
    prices: Any = info.prices
    variants = prices if isinstance(prices, list) else [prices]
    for variant in variants:
        table = getattr(variant, "prices", variant)
        if any(isinstance(value, TieredPrices) for value in vars(table).values()):
            return True
    return False  # price_variants apply only with a price_context, which is never passed


def _calc(usage: Usage, model: str, provider: str | None) -> Decimal:
    """genai-prices' total price; raises LookupError for an unknown model."""
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    price_usage = PriceUsage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        cache_read_tokens=usage.cached_tokens or None,
        cache_write_tokens=usage.cache_write_tokens or None,
    )
    try:
        return calc_price(price_usage, model, provider_id=provider).total_price
    except LookupError:
        if provider is None:
            raise
        return calc_price(price_usage, model).total_price


def _calc_quietly(usage: Usage, model: str, provider: str | None) -> float | None:
    try:
        return float(_calc(usage, model, provider))
    except LookupError:
        return None
    except Exception:  # the price table must never fail a call
        _log.debug("genai-prices failed for %s/%s", provider, model, exc_info=True)
        return None


@functools.lru_cache(maxsize=256)
def known_model(model: str, provider: str | None) -> bool:
    """Whether genai-prices can price ``model`` (for estimates made before a call)."""
    return cost_usd(model, provider, Usage(prompt_tokens=1)) is not None
