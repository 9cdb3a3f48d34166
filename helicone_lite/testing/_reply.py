"""Protocol-neutral answers: the default echo, token estimates, and resolved replies."""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ._outcomes import Reply, ToolCall

__all__ = [
    "Completion",
    "Prompt",
    "embedding_vector",
    "estimate_tokens",
    "resolve",
    "split",
]

ECHO_PREFIX = "echo: "
_DEFAULT = Reply()


def estimate_tokens(text: str) -> int:
    """The fake's token count for ``text``: its number of whitespace-separated words.

    A request's prompt tokens are the sum over every text piece in it (system prompt,
    every message, tool results); a reply's completion tokens count its text plus, for each
    tool call, its name and its JSON arguments. ``estimate_tokens("What is diabetes?") == 3``.
    """
    return len(text.split())


@dataclass(frozen=True)
class Prompt:
    """The text a request carries: every piece, and the last user message."""

    texts: tuple[str, ...] = ()
    last_user: str = ""

    @property
    def tokens(self) -> int:
        return sum(estimate_tokens(t) for t in self.texts)


@dataclass(frozen=True)
class Completion:
    """A :class:`Reply` resolved against one request: every field has its value."""

    model: str
    text: str | None
    tool_calls: tuple[ToolCall, ...]
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cache_creation_tokens: int
    finish_reason: str
    chunk_size: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def uncached_prompt_tokens(self) -> int:
        """Input tokens neither read from nor written to a cache (Anthropic's input_tokens)."""
        return max(0, self.prompt_tokens - self.cached_tokens - self.cache_creation_tokens)

    def text_chunks(self) -> list[str]:
        return split(self.text or "", self.chunk_size)


def resolve(reply: Reply | None, prompt: Prompt, model: str) -> Completion:
    """Fill in a reply's defaults (echo text, token estimates, finish reason)."""
    reply = reply or _DEFAULT
    calls = tuple(reply.tool_calls)
    text = reply.text
    if text is None and not calls:
        text = ECHO_PREFIX + prompt.last_user
    completion = reply.completion_tokens
    if completion is None:
        completion = estimate_tokens(text or "") + sum(_call_tokens(c) for c in calls)
    finish = reply.finish_reason or ("tool_calls" if calls else "stop")
    return Completion(
        model=reply.model or model,
        text=text,
        tool_calls=calls,
        prompt_tokens=prompt.tokens if reply.prompt_tokens is None else reply.prompt_tokens,
        completion_tokens=completion,
        cached_tokens=reply.cached_tokens,
        cache_creation_tokens=reply.cache_creation_tokens,
        finish_reason=finish,
        chunk_size=reply.chunk_size,
    )


def _call_tokens(call: ToolCall) -> int:
    return estimate_tokens(call.name) + estimate_tokens(call.arguments_json)


def split(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters (no pieces for an empty text)."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit vector derived from ``text`` (same text, same vector).

    Values are rounded to float32 precision, so base64 (float32) and JSON encodings agree.
    """
    raw = _hash_stream(text.encode("utf-8"), dimensions * 4)
    values = [(n / 0xFFFFFFFF) * 2.0 - 1.0 for n in struct.unpack(f"<{dimensions}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    packed = struct.pack(f"<{dimensions}f", *(v / norm for v in values))
    return list(struct.unpack(f"<{dimensions}f", packed))


def _hash_stream(seed: bytes, size: int) -> bytes:
    blocks: list[bytes] = []
    counter = 0
    while sum(len(b) for b in blocks) < size:
        blocks.append(hashlib.blake2b(seed + counter.to_bytes(4, "little")).digest())
        counter += 1
    return b"".join(blocks)[:size]


def join_text(pieces: Iterable[str]) -> str:
    return " ".join(p for p in pieces if p)
