"""What a call reserves before it is sent, and what it really cost after.

The reservation is an upper bound wherever one is knowable:

* prompt tokens ≤ the length of the call's prompt fields (``messages``, ``tools``,
  ``response_format``, ``input``, …) as ASCII JSON: every tokenizer in use (byte-level BPE,
  SentencePiece with byte fallback) spends at least one byte of text per token, the JSON
  escaping only lengthens non-ASCII text, and the JSON punctuation outweighs the few tokens
  of chat framing per message; plus :data:`IMAGE_TOKENS` per image part;
* completion tokens ≤ ``max_completion_tokens`` / ``max_tokens`` (times ``n``), or
  :data:`DEFAULT_COMPLETION_TOKENS` when the call sets neither (then it is *not* a bound);
* cents: those token counts at the model's highest input and output prices in genai-prices
  (the long-context tier, cache writes), so cheaper tiers and cached input only lower the
  real cost.

genai-prices takes ~0.5 ms per lookup, so the unit prices of each (model, provider) are
looked up once per process; a call then costs a few multiplications to price. Models whose
prices depend on the prompt's length (tiers) are settled through genai-prices itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._cost import Usage, cost_usd

__all__ = [
    "DEFAULT_COMPLETION_TOKENS",
    "IMAGE_TOKENS",
    "Prices",
    "UnitPrices",
    "completion_bound",
    "prompt_bound",
]

#: completion tokens reserved when a call sets no max_tokens / max_completion_tokens.
DEFAULT_COMPLETION_TOKENS = 4096
#: prompt tokens reserved per image part (above the largest per-image count of the major APIs).
IMAGE_TOKENS = 1600
#: chat framing (reply priming) per call.
CALL_OVERHEAD = 8
_PROMPT_FIELDS = (
    "messages",
    "tools",
    "functions",
    "tool_choice",
    "response_format",
    "input",
    "instructions",
    "prompt",
    "system",
)
_SMALL, _LARGE = 1_000, 1_000_000


def prompt_bound(params: Mapping[str, Any]) -> int:
    """An upper bound on the prompt tokens of ``params`` (see the module docstring)."""
    fields = {name: params[name] for name in _PROMPT_FIELDS if name in params}
    text = json.dumps(fields, default=_plain)  # ensure_ascii: never shorter than the UTF-8 bytes
    return len(text) + CALL_OVERHEAD + IMAGE_TOKENS * text.count('"image_url"')


def _plain(value: Any) -> Any:
    """SDK objects in ``messages`` (a reply's message appended back, say) as their JSON."""
    dump = getattr(value, "model_dump", None)
    return dump() if callable(dump) else str(value)


def completion_bound(params: Mapping[str, Any], kind: str) -> int:
    """The completion tokens a call may produce: its max tokens times ``n``."""
    if kind not in ("chat.completions", "responses"):
        return 0
    limit = (
        params.get("max_completion_tokens")
        or params.get("max_tokens")
        or params.get("max_output_tokens")
    )
    n = params.get("n")
    choices = n if isinstance(n, int) and n > 0 else 1
    tokens = limit if isinstance(limit, int) and limit > 0 else DEFAULT_COMPLETION_TOKENS
    return tokens * choices


@dataclass(frozen=True, slots=True)
class UnitPrices:
    """US dollars per token of one (model, provider), from genai-prices."""

    model: str
    provider: str | None
    input: float
    cached_input: float
    cache_write: float
    output: float
    input_max: float
    output_max: float
    tiered: bool

    def estimate_cents(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The most ``prompt_tokens`` in and ``completion_tokens`` out can cost, in cents."""
        return (prompt_tokens * self.input_max + completion_tokens * self.output_max) * 100

    def cents(self, usage: Usage) -> float | None:
        """What ``usage`` cost, in cents (as genai-prices prices it)."""
        if self.tiered:
            dollars = cost_usd(self.model, self.provider, usage)
            return None if dollars is None else dollars * 100
        fresh = max(0, usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens)
        return (
            fresh * self.input
            + usage.cached_tokens * self.cached_input
            + usage.cache_write_tokens * self.cache_write
            + usage.completion_tokens * self.output
        ) * 100


def _per_token(model: str, provider: str | None, n: int, **counts: int) -> float | None:
    dollars = cost_usd(model, provider, Usage(**counts))
    return None if dollars is None else dollars / n


def _look_up(model: str, provider: str | None) -> UnitPrices | None:
    s, big = _SMALL, _LARGE
    small = (
        _per_token(model, provider, s, prompt_tokens=s),
        _per_token(model, provider, s, prompt_tokens=s, cached_tokens=s),
        _per_token(model, provider, s, prompt_tokens=s, cache_write_tokens=s),
        _per_token(model, provider, s, completion_tokens=s),
    )
    large_in = _per_token(model, provider, big, prompt_tokens=big)
    large_write = _per_token(model, provider, big, prompt_tokens=big, cache_write_tokens=big)
    large_both = _per_token(model, provider, s, prompt_tokens=big, completion_tokens=s)
    if None in small or large_in is None or large_write is None or large_both is None:
        return None
    inp, cached, write, out = (float(v or 0.0) for v in small)
    large_out = large_both - large_in * big / s
    return UnitPrices(
        model=model,
        provider=provider,
        input=inp,
        cached_input=cached,
        cache_write=write,
        output=out,
        input_max=max(inp, write, large_in, large_write),
        output_max=max(out, large_out),
        tiered=abs(large_in - inp) > 1e-15 or abs(large_out - out) > 1e-12,
    )


class Prices:
    """Unit prices per (model, provider), looked up once (``None``: genai-prices has none)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str | None], UnitPrices | None] = {}
        self._lock = threading.Lock()

    def get(self, model: str, provider: str | None) -> UnitPrices | None:
        key = (model, provider)
        try:
            return self._known[key]
        except KeyError:
            pass
        prices = _look_up(model, provider)  # slow; two threads may both look up: harmless
        with self._lock:
            self._known[key] = prices
        return prices
