"""Your own prices: ``Client(prices={...})`` and ``<home>/prices.json``, before genai-prices.

A price table maps model patterns (``fnmatch`` globs, case-insensitive: ``"ft:gpt-4o-mini:*"``,
``"llama-*"``) to US dollars per **million** tokens of ``input``, ``cached_input`` and
``output``, plus an optional ``request`` price per call::

    {"my-finetune-*": {"input": 0.30, "cached_input": 0.15, "output": 1.20},
     "llama-3.1-70b": {"input": 0.59, "output": 0.79, "request": 0.0001}}

The first matching pattern wins; ``Client(prices=...)`` patterns come before the file's. A model
no pattern matches is priced by genai-prices, and is unknown (NULL, never $0) when that does
not know it either. See docs/costs.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import translate
from pathlib import Path

from ._cost import Usage, cost_usd
from ._errors import OptionsError

__all__ = ["FILE_NAME", "ModelPrice", "PriceTable"]

FILE_NAME = "prices.json"
_FIELDS = ("input", "cached_input", "output", "request")
_PER_TOKEN = 1e-6


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """US dollars per million tokens (``cached_input`` defaults to ``input``), and per call."""

    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None
    request: float = 0.0

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        return (
            (usage.prompt_tokens - cached) * self.input * _PER_TOKEN
            + cached * cached_rate * _PER_TOKEN
            + usage.completion_tokens * self.output * _PER_TOKEN
            + self.request
        )


def _price(where: str, value: object) -> ModelPrice:
    if not isinstance(value, Mapping):
        raise OptionsError(where, value, "a dict of input / cached_input / output / request prices")
    unknown = sorted(set(value) - set(_FIELDS))
    if unknown:
        raise OptionsError(f"{where}.{unknown[0]}", value[unknown[0]], ", ".join(_FIELDS))
    numbers: dict[str, float] = {}
    for name, number in value.items():
        ok = isinstance(number, (int, float)) and not isinstance(number, bool)
        if not ok or not math.isfinite(number) or number < 0:
            allowed = "US dollars per million tokens, a number >= 0"
            if name == "request":
                allowed = "US dollars per call, a number >= 0"
            raise OptionsError(f"{where}.{name}", number, allowed)
        numbers[name] = float(number)
    return ModelPrice(**numbers)


class PriceTable:
    """Model patterns -> prices; ``cost()`` falls back to genai-prices."""

    def __init__(
        self, prices: Mapping[str, Mapping[str, float]] | None = None, *, where: str = "prices"
    ) -> None:
        if prices is not None and not isinstance(prices, Mapping):
            raise OptionsError(where, prices, "a dict of model pattern -> prices")
        self._entries: list[tuple[re.Pattern[str], str, ModelPrice]] = []
        for pattern, value in (prices or {}).items():
            if not isinstance(pattern, str) or not pattern:
                raise OptionsError(where, pattern, "model patterns as non-empty strings")
            price = _price(f"{where}[{pattern!r}]", value)
            self._entries.append((re.compile(translate(pattern), re.IGNORECASE), pattern, price))

    @classmethod
    def load(cls, given: Mapping[str, Mapping[str, float]] | None, home: Path) -> PriceTable:
        """``given`` (from ``Client(prices=...)``) first, then ``home/prices.json`` if present.

        A file that is not valid JSON, or holds bad prices, raises :class:`OptionsError`."""
        table = cls(given)
        path = home / FILE_NAME
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise OptionsError(
                    str(path), type(exc).__name__, "a JSON object of prices"
                ) from exc
            table._entries.extend(cls(data, where=str(path))._entries)
        return table

    def __bool__(self) -> bool:
        return bool(self._entries)

    def find(self, model: str) -> ModelPrice | None:
        for pattern, _, price in self._entries:
            if pattern.fullmatch(model):
                return price
        return None

    def cost(self, model: str | None, provider: str | None, usage: Usage) -> float | None:
        """The cost of ``usage`` on ``model``: our price if a pattern matches, else
        genai-prices', else None (unknown)."""
        if not model:
            return None
        price = self.find(model)
        if price is not None:
            return price.cost(usage)
        return cost_usd(model, provider, usage)
