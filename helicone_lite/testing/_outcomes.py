"""What a scripted call answers: a :class:`Reply`, or a :class:`Fault`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = ["Fault", "Outcome", "Reply", "ToolCall"]


@dataclass(frozen=True)
class ToolCall:
    """A tool (function) call the fake model makes.

    ``arguments`` is a mapping (sent as JSON) or a JSON string sent verbatim, which lets a
    test script malformed arguments for the OpenAI protocol. ``id`` defaults to a
    deterministic, protocol-styled id (``call_…`` for OpenAI, ``toolu_…`` for Anthropic;
    Gemini function calls carry an id only when one is given here).
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        """The arguments as the JSON text the OpenAI protocol carries."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments))

    @property
    def arguments_dict(self) -> dict[str, Any]:
        """The arguments as the object Anthropic and Gemini carry."""
        if isinstance(self.arguments, str):
            loaded = json.loads(self.arguments)
            if not isinstance(loaded, dict):
                raise ValueError(f"tool call {self.name!r}: arguments must be a JSON object")
            return loaded
        return dict(self.arguments)


@dataclass(frozen=True)
class Reply:
    """A successful answer, in OpenAI terms; each protocol renders it natively.

    Every field is optional. ``text=None`` with no ``tool_calls`` means the default echo
    (``"echo: <last user message>"``). Token counts left at ``None`` are estimated with
    :func:`~helicone_lite.testing.estimate_tokens`. ``prompt_tokens`` is the whole input,
    *including* ``cached_tokens`` and ``cache_creation_tokens`` (OpenAI's convention;
    Anthropic's ``input_tokens`` is derived by subtracting them). ``finish_reason=None``
    means ``"tool_calls"`` when there are tool calls, else ``"stop"``; OpenAI values are
    mapped to each protocol's own (see docs/testing.md), other values pass through.
    ``latency`` delays the response (time to first byte), ``chunk_delay`` spaces the
    events of a stream, ``chunk_size`` is the number of characters per streamed delta.
    ``model`` overrides the model name reported back (default: the requested one).
    ``reasoning_tokens`` are reported on top of ``completion_tokens`` (output tokens spent
    thinking: OpenAI's ``reasoning_tokens`` details).
    """

    text: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0
    cache_creation_tokens: int = 0
    finish_reason: str | None = None
    latency: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int = 8
    model: str | None = None
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        for call in self.tool_calls:
            if not isinstance(call, ToolCall):
                raise TypeError(f"tool_calls must hold ToolCall objects, not {call!r}")
        counts = (self.prompt_tokens, self.completion_tokens)
        if any(n is not None and n < 0 for n in counts):
            raise ValueError("token counts must be >= 0")
        if min(self.cached_tokens, self.cache_creation_tokens, self.reasoning_tokens) < 0:
            raise ValueError("token counts must be >= 0")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        if self.latency < 0 or self.chunk_delay < 0:
            raise ValueError("latency and chunk_delay must be >= 0")


@dataclass(frozen=True)
class Fault:
    """A failure, played in this order: wait ``hang`` seconds (if set), then

    * ``reset=True``: close the connection without any reply (TCP reset), which the SDKs
      raise as a connection error;
    * ``cut_after=N``: answer 200 and send the first ``N`` server-sent events of the normal
      answer (``reply``, default echo), then drop the connection without the stream's end;
      on a non-streaming request, the JSON body is cut in half instead;
    * otherwise: answer HTTP ``status`` with the protocol's own error JSON (``message``
      inside), or ``body`` verbatim (``str``/``bytes``) or as JSON (anything else).

    ``retry_after`` (seconds) and ``retry_after_ms`` set the ``Retry-After`` and
    ``retry-after-ms`` headers; ``headers`` adds any others (e.g. ``x-should-retry``).
    A hang is cut short when the server stops.
    """

    status: int = 500
    message: str | None = None
    retry_after: float | None = None
    retry_after_ms: float | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    reset: bool = False
    hang: float | None = None
    cut_after: int | None = None
    reply: Reply | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"Fault status must be 4xx or 5xx, not {self.status}")
        if self.cut_after is not None and self.cut_after < 0:
            raise ValueError("cut_after must be >= 0")
        if self.hang is not None and self.hang < 0:
            raise ValueError("hang must be >= 0")
        if self.reset and self.cut_after is not None:
            raise ValueError("a Fault may reset or cut_after, not both")


Outcome: TypeAlias = Reply | Fault
"""What one scripted request answers."""
