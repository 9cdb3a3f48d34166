"""Anthropic Messages -> OpenAI chat completions: the answers (pure translation, no SDK call).

``response`` turns a ``Message`` into a ``ChatCompletion``; ``StreamTranslator`` turns stream
events into ``ChatCompletionChunk``s; ``error`` turns an anthropic exception (or an error event
of a 200 stream) into openai's. The request side is ``_anthropic_translate``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import anthropic
from openai.types.chat import ChatCompletionChunk

from .._response import ChatCompletion
from ._errors import connection_error, provider_status_error, transport_error
from ._translate import (
    DeltaJSON,
    ToolCallJSON,
    UsageJSON,
    chunk,
    completion,
    delta_choice,
    message_choice,
    usage,
)

if TYPE_CHECKING:
    from anthropic.types import (
        Message,
        MessageDeltaUsage,
        RawContentBlockDeltaEvent,
        RawContentBlockStartEvent,
        RawMessageDeltaEvent,
        RawMessageStartEvent,
        RawMessageStreamEvent,
        Usage,
    )

__all__ = ["FINISH_REASONS", "StreamTranslator", "error", "finish_reason", "response", "usage_of"]

FINISH_REASONS: Mapping[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# error type -> HTTP status, for errors that arrive as events of a 200 stream
_ERROR_STATUS: Mapping[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def finish_reason(stop_reason: str | None) -> str:
    return FINISH_REASONS.get(stop_reason or "end_turn", "stop")


# -- request ---------------------------------------------------------------------------------


def usage_of(raw: Usage | Mapping[str, int]) -> tuple[UsageJSON, int]:
    """OpenAI usage from Anthropic's (an SDK object or a dict of its fields: input excludes
    cache reads and writes, so they are added back), and the cache-write token count (priced
    as such, logged as ``cache_write_tokens``)."""
    values: Mapping[str, int | None] = raw if isinstance(raw, Mapping) else vars(raw)
    read = values.get("cache_read_input_tokens") or 0
    write = values.get("cache_creation_input_tokens") or 0
    prompt = (values.get("input_tokens") or 0) + read + write
    output = values.get("output_tokens") or 0
    return usage(prompt, output, cached=read, cache_write=write), write


def response(message: Message, created: int) -> tuple[ChatCompletion, int]:
    """A ``ChatCompletion`` from an Anthropic ``Message``, and its cache-write tokens."""
    texts: list[str] = []
    calls: list[ToolCallJSON] = []
    for block in message.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            calls.append(_tool_call(block.id, block.name, json.dumps(block.input)))
    content = "".join(texts) if texts or not calls else None
    choice = message_choice(0, content, calls, finish_reason(message.stop_reason))
    counts, writes = usage_of(message.usage)
    return completion(message.id, created, message.model, [choice], counts), writes


def _tool_call(id: str, name: str, arguments: str) -> ToolCallJSON:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


# -- stream ----------------------------------------------------------------------------------


class StreamTranslator:
    """Anthropic stream events in, ``ChatCompletionChunk``s out (text and tool-call argument
    deltas, a finish chunk, then a usage chunk with empty ``choices``).

    ``log`` receives ``cache_write_tokens`` once the usage is known.
    """

    def __init__(self, created: int, model: str, log: dict[str, object]) -> None:
        self._created, self._model, self._log = created, model, log
        self._id = ""
        self._tools: dict[int, int] = {}  # content block index -> tool call index
        self._usage: dict[str, int] = {}
        self._stop: str | None = None

    def feed(self, event: RawMessageStreamEvent) -> list[ChatCompletionChunk]:
        # by the event's ``type`` (which narrows the union); others (content_block_stop…) add
        # nothing
        if event.type == "message_start":
            return self._start(event)
        if event.type == "content_block_start":
            return self._block_start(event)
        if event.type == "content_block_delta":
            return self._block_delta(event)
        if event.type == "message_delta":
            return self._message_delta(event)
        if event.type == "message_stop":
            return self._message_stop()
        return []

    def _chunk(self, delta: DeltaJSON, finish: str | None = None) -> ChatCompletionChunk:
        return chunk(self._id, self._created, self._model, [delta_choice(0, delta, finish)])

    def _start(self, event: RawMessageStartEvent) -> list[ChatCompletionChunk]:
        message = event.message
        self._id, self._model = message.id, message.model or self._model
        self._merge_usage(message.usage)
        return [self._chunk({"role": "assistant", "content": ""})]

    def _block_start(self, event: RawContentBlockStartEvent) -> list[ChatCompletionChunk]:
        block = event.content_block
        if block.type == "text":
            return [self._chunk({"content": block.text})] if block.text else []
        if block.type != "tool_use":
            return []
        index = self._tools.setdefault(event.index, len(self._tools))
        call: ToolCallJSON = {"index": index, **_tool_call(block.id, block.name, "")}
        return [self._chunk({"tool_calls": [call]})]

    def _block_delta(self, event: RawContentBlockDeltaEvent) -> list[ChatCompletionChunk]:
        delta = event.delta
        if delta.type == "text_delta":
            return [self._chunk({"content": delta.text})]
        if delta.type == "input_json_delta" and event.index in self._tools:
            call: ToolCallJSON = {
                "index": self._tools[event.index],
                "function": {"arguments": delta.partial_json},
            }
            return [self._chunk({"tool_calls": [call]})]
        return []

    def _message_delta(self, event: RawMessageDeltaEvent) -> list[ChatCompletionChunk]:
        self._stop = event.delta.stop_reason or self._stop
        self._merge_usage(event.usage)
        return []

    def _message_stop(self) -> list[ChatCompletionChunk]:
        final = self._chunk({}, finish_reason(self._stop))
        counts, writes = usage_of(self._usage)
        self._log["cache_write_tokens"] = writes
        return [final, chunk(self._id, self._created, self._model, [], counts)]

    def _merge_usage(self, raw: Usage | MessageDeltaUsage) -> None:
        for name in _USAGE_FIELDS:
            value = getattr(raw, name, None)
            if value is not None:
                self._usage[name] = value


_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


# -- errors ----------------------------------------------------------------------------------


def error(exc: BaseException) -> BaseException:
    """The ``openai`` exception for an ``anthropic`` one (others are returned unchanged)."""
    if isinstance(exc, anthropic.APIStatusError):
        message = exc.api_message or exc.message
        status = exc.status_code
        if status < 400:  # an error event inside a 200 stream: its type says what it was
            status = _ERROR_STATUS.get(str(exc.type), 500)
        return provider_status_error(
            status,
            message,
            headers=exc.response.headers,
            body=exc.body,
            url=str(exc.request.url),
        )
    if isinstance(exc, anthropic.APIConnectionError):
        timeout = isinstance(exc, anthropic.APITimeoutError)
        return connection_error(exc.request, timeout=timeout, message=exc.message)
    return transport_error(exc) or exc
