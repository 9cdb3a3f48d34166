"""The token-limit layer (see the package docstring).

Sizes are estimates: a message costs ``ceil(len(text) / 4) + 4`` tokens (about four characters
per token for English with OpenAI's and Anthropic's tokenizers, plus the chat framing), and the
call needs room for its ``max_tokens`` / ``max_completion_tokens`` too. The window is the
model's ``context_window`` in genai-prices (looked up once per model and provider); a model
genai-prices does not know is sent unchanged, and the row says ``unknown-window``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import status_error
from ..pipeline._call import Call, Forward, Result, Target
from ..pipeline._stack import Flow

__all__ = ["TokenLimit", "context_window", "estimate_tokens", "fit_middle_out", "fit_truncate"]

_PER_MESSAGE = 4
_CUT = "\n[… trimmed by helicone_lite middle-out …]\n"
Message = Mapping[str, Any]


@functools.lru_cache(maxsize=1024)
def context_window(model: str, provider: str | None) -> int | None:
    """The model's context window in tokens, from genai-prices (``None`` if unknown)."""
    try:
        from genai_prices.data_snapshot import get_snapshot

        _, found = get_snapshot().find_provider_model(model, None, provider, None)
    except Exception:  # unknown model or provider
        return None
    window = getattr(found, "context_window", None)
    return window if isinstance(window, int) and window > 0 else None


def _text(message: Message) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def estimate_tokens(messages: Sequence[Message]) -> int:
    """Estimated prompt tokens of ``messages`` (see the module docstring)."""
    return sum(math.ceil(len(_text(m)) / 4) + _PER_MESSAGE for m in messages)


def _output_room(params: Mapping[str, Any]) -> int:
    value = params.get("max_completion_tokens") or params.get("max_tokens") or 0
    return value if isinstance(value, int) else 0


def fit_truncate(messages: Sequence[Message], budget: int) -> tuple[list[Message], int]:
    """Drop the oldest turns (never system/developer messages, never the last message) until
    the estimate fits ``budget``; returns the messages and how many were dropped."""
    kept = list(messages)
    dropped = 0
    while estimate_tokens(kept) > budget:
        index = next(
            (i for i, m in enumerate(kept[:-1]) if m.get("role") not in ("system", "developer")),
            None,
        )
        if index is None:
            break
        del kept[index]
        dropped += 1
    return kept, dropped


def fit_middle_out(messages: Sequence[Message], budget: int) -> tuple[list[Message], int]:
    """Remove messages from the middle (keeping the first and the last), then, if one message
    alone is still too long, cut the middle of the longest one's text; returns the messages and
    the estimated tokens removed."""
    before = estimate_tokens(messages)
    kept = list(messages)
    while estimate_tokens(kept) > budget and len(kept) > 2:
        del kept[len(kept) // 2]
    excess = estimate_tokens(kept) - budget
    if excess > 0:
        longest = max(range(len(kept)), key=lambda i: len(_text(kept[i])))
        text = _text(kept[longest])
        keep_chars = max(0, len(text) - excess * 4 - len(_CUT))
        half = keep_chars // 2
        cut = text[:half] + _CUT + text[len(text) - (keep_chars - half) :]
        kept[longest] = {**kept[longest], "content": cut}
    return kept, before - estimate_tokens(kept)


class TokenLimit:
    """Acts on calls with ``token_limit_handler`` set; others pass untouched."""

    def wants(self, call: Call) -> bool:
        """Whether ``call`` sets a token-limit handler (else the drivers skip this layer)."""
        return call.options.token_limit_handler is not None and call.kind == "chat.completions"

    def handle(self, call: Call) -> Flow:
        handler = call.options.token_limit_handler
        if handler is None or call.kind != "chat.completions":
            result: Result = yield Forward(call)
            return result
        sent, action = self._fit(call, handler)
        if sent is None:
            return Result(error=_too_long(call, action), log={"token_limit_action": action})
        result = yield Forward(sent)
        result.log["token_limit_action"] = action
        if sent is not call and result.sent is None:
            result.sent = sent  # the recorder logs the call as sent
        return result

    def _fit(self, call: Call, handler: str) -> tuple[Call | None, str | None]:
        messages = list(call.params.get("messages") or ())
        needed = estimate_tokens(messages) + _output_room(call.params)
        if handler == "fallback":
            return self._fallback(call, needed)
        window = _window(call.target)
        if window is None:
            return call, "unknown-window"
        if needed <= window:
            return call, None
        budget = window - _output_room(call.params)
        fit = fit_truncate if handler == "truncate" else fit_middle_out
        kept, count = fit(messages, budget)
        label = "dropped" if handler == "truncate" else "removed"
        params = {**call.params, "messages": kept}
        return call.evolve(params=params), f"{handler}:{label}={count}"

    def _fallback(self, call: Call, needed: int) -> tuple[Call | None, str | None]:
        first = _window(call.target)
        if first is None or needed <= first:
            return call, None if first is not None else "unknown-window"
        for index in range(call.target_index + 1, len(call.targets)):
            window = _window(call.targets[index])
            if window is None or needed <= window:
                targets = call.targets[index:]
                moved = call.evolve(targets=targets, target_index=0)
                return moved, f"fallback:to={targets[0].model}"
        return None, f"fallback:none-fits (needs ~{needed} tokens, window {first})"


def _window(target: Target) -> int | None:
    return context_window(target.model, target.adapter.price_provider)


def _too_long(call: Call, action: str | None) -> BaseException:
    message = (
        f"helicone_lite: the prompt (~{estimate_tokens(call.params.get('messages') or ())} "
        f"tokens) exceeds the context window of every target ({action}); "
        "Helicone-Token-Limit-Exception-Handler: fallback found no larger model"
    )
    body = {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        }
    }
    return status_error(400, message, body=body)
