"""How the log reads a native reply: usage, model and the final body of Anthropic ``Message``s
and Gemini ``GenerateContentResponse``s, and of their streams.

Used by the kinds table (``_kinds.py``); no SDK is imported here at module level (the stream
accumulator of ``anthropic`` is imported when a stream ends, and only then).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._errors import OptionsError

__all__ = [
    "anthropic_complete",
    "anthropic_final",
    "anthropic_model",
    "anthropic_prompt",
    "anthropic_usage",
    "anthropic_usage_of",
    "gemini_complete",
    "gemini_final",
    "gemini_model",
    "gemini_prompt",
    "gemini_usage",
    "gemini_usage_of",
]


# -- Anthropic --------------------------------------------------------------------------------
def anthropic_usage_of(usage: object) -> dict[str, int]:
    """Log columns from Anthropic usage (``input_tokens`` excludes cache reads and writes;
    the log's ``prompt_tokens`` includes both)."""
    read = getattr(usage, "cache_read_input_tokens", None) or 0
    write = getattr(usage, "cache_creation_input_tokens", None) or 0
    prompt = (getattr(usage, "input_tokens", None) or 0) + read + write
    completion = getattr(usage, "output_tokens", None) or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cached_tokens": read,
        "cache_write_tokens": write,
    }


def _anthropic_message(events: Sequence[Any]) -> Any:
    """The ``Message`` a stream of events amounts to (the SDK's own accumulator)."""
    from anthropic.lib.streaming._messages import accumulate_event

    snapshot: Any = None
    buffers: dict[int, bytes] = {}
    for event in events:
        try:
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=buffers)
        except Exception:  # a stream cut short or out of order: keep what was assembled
            break
    return snapshot


def anthropic_final(events: Sequence[Any]) -> dict[str, Any]:
    message = _anthropic_message(events)
    if message is None:
        return {"type": "message", "content": []}
    dumped: dict[str, Any] = message.model_dump(mode="json", exclude_none=True)
    return dumped


def anthropic_usage(events: Sequence[Any]) -> dict[str, int]:
    message = _anthropic_message(events)
    return anthropic_usage_of(message.usage) if message is not None else {}


def anthropic_model(events: Sequence[object]) -> str | None:
    for event in events:
        message = getattr(event, "message", None)
        if message is not None:
            return getattr(message, "model", None)
    return None


def anthropic_complete(events: Sequence[object]) -> bool:
    return any(getattr(event, "type", None) == "message_stop" for event in events)


def anthropic_prompt(params: dict[str, Any]) -> dict[str, Any]:
    """A body rendered from a stored prompt, in Messages' shape: system (and developer)
    messages move to ``system``, after any ``system`` the call gave."""
    out = dict(params)
    kept: list[Any] = []
    system: list[dict[str, Any]] = []
    for message in out.get("messages") or ():
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            content = message.get("content")
            if isinstance(content, str):
                system.append({"type": "text", "text": content})
            else:
                system.extend(content or ())
        else:
            kept.append(message)
    if system:
        given = out.get("system")
        if isinstance(given, str):
            given = [{"type": "text", "text": given}]
        out["system"] = [*system, *(given or ())]
    out["messages"] = kept
    return out


# -- Gemini -----------------------------------------------------------------------------------
#: the keys of a ``generate_content`` call (``_gemini.py``'s params); every other key of a
#: rendered body is a stored (OpenAI-named) parameter, translated into the config
_GEMINI_CALL = ("model", "contents", "config", "stream")
#: what the chat translator adds for helicone_lite's own loop; a native call keeps the SDK's
_TRANSLATOR_ONLY = ("automatic_function_calling", "automatic_continuation")


def gemini_prompt(params: dict[str, Any]) -> dict[str, Any]:
    """A body rendered from a stored prompt, in ``generate_content``'s shape: user and
    assistant messages become ``contents`` (roles ``user`` / ``model``), before the call's
    own; system (and developer) messages become the config's ``system_instruction``, before
    any the call gave; stored parameters (``temperature``, ``max_tokens``, ``stop``, ``tools``
    …) are translated as for a chat call to Gemini, and the call's config overrides them."""
    from google.genai import _transformers  # the SDK's own reading of contents

    from ..prompts import PromptError
    from ..providers import _gemini_translate

    rest = {k: v for k, v in params.items() if k not in _GEMINI_CALL}
    try:
        contents, config = _gemini_translate.request(rest)
    except OptionsError as exc:  # a stored message or parameter Gemini cannot take
        raise PromptError(
            f"a rendered prompt cannot be sent to Gemini: {exc}", exc.option, exc.value, exc.allowed
        ) from exc
    for key in _TRANSLATOR_ONLY:
        config.pop(key, None)
    own = params.get("contents")
    if own is not None and own != []:
        contents.extend(c.model_dump(exclude_none=True) for c in _transformers.t_contents(own))
    given = dict(params.get("config") or {})
    stored_system = config.get("system_instruction")
    if stored_system and given.get("system_instruction") is not None:
        extra = _transformers.t_content(given["system_instruction"]).parts or ()
        given["system_instruction"] = {
            "parts": [*stored_system["parts"], *(p.model_dump(exclude_none=True) for p in extra)]
        }
    out: dict[str, Any] = {"model": params.get("model"), "contents": contents}
    merged = {**config, **given}
    if merged:
        out["config"] = merged
    if params.get("stream"):
        out["stream"] = True
    return out


def gemini_usage_of(meta: object) -> dict[str, int]:
    """Log columns from Gemini's ``usage_metadata`` (its prompt count includes cached content;
    thinking tokens are output tokens)."""
    prompt = (getattr(meta, "prompt_token_count", None) or 0) + (
        getattr(meta, "tool_use_prompt_token_count", None) or 0
    )
    thoughts = getattr(meta, "thoughts_token_count", None) or 0
    completion = (getattr(meta, "candidates_token_count", None) or 0) + thoughts
    out = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": getattr(meta, "total_token_count", None) or prompt + completion,
        "cached_tokens": getattr(meta, "cached_content_token_count", None) or 0,
    }
    if thoughts:
        out["reasoning_tokens"] = thoughts
    return out


def gemini_usage(chunks: Sequence[object]) -> dict[str, int]:
    for chunk in reversed(chunks):
        meta = getattr(chunk, "usage_metadata", None)
        if meta is not None:
            return gemini_usage_of(meta)
    return {}


def gemini_model(chunks: Sequence[object]) -> str | None:
    for chunk in reversed(chunks):
        version = getattr(chunk, "model_version", None)
        if version:
            return str(version)
    return None


def gemini_complete(chunks: Sequence[object]) -> bool:
    return any(
        getattr(candidate, "finish_reason", None) is not None
        for chunk in chunks
        for candidate in (getattr(chunk, "candidates", None) or ())
    )


def gemini_final(chunks: Sequence[object]) -> dict[str, Any]:
    """One response for the log: the text of every chunk joined, the last finish reason and
    usage (tool calls and other parts kept as they came)."""
    texts: list[str] = []
    parts: list[Any] = []
    reason = None
    for chunk in chunks:
        for candidate in getattr(chunk, "candidates", None) or ():
            reason = getattr(candidate, "finish_reason", None) or reason
            content = getattr(candidate, "content", None)
            for part in getattr(content, "parts", None) or ():
                if getattr(part, "text", None) is not None and not getattr(part, "thought", None):
                    texts.append(part.text)
                else:
                    parts.append(part.model_dump(mode="json", exclude_none=True))
    joined = [{"text": "".join(texts)}] if texts else []
    out: dict[str, Any] = {
        "candidates": [
            {
                "content": {"role": "model", "parts": joined + parts},
                "finish_reason": getattr(reason, "value", reason),
            }
        ],
        "model_version": gemini_model(chunks),
    }
    for chunk in reversed(chunks):
        meta = getattr(chunk, "usage_metadata", None)
        if meta is not None:
            out["usage_metadata"] = meta.model_dump(mode="json", exclude_none=True)
            break
    return out
