"""OpenAI chat completions <-> Anthropic Messages: pure translation, no SDK call.

``request`` turns OpenAI chat parameters into a Messages request body (the JSON that reaches
the wire); ``response`` turns a ``Message`` into a ``ChatCompletion``; ``StreamTranslator``
turns stream events into ``ChatCompletionChunk``s. See docs/providers.md for the mapping.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anthropic
from openai.types.chat import ChatCompletionChunk

from .._errors import OptionsError
from .._response import ChatCompletion
from ._errors import connection_error, provider_status_error, transport_error
from ._translate import (
    DeltaJSON,
    ToolCallJSON,
    UsageJSON,
    as_dict,
    check_keys,
    check_params,
    chunk,
    completion,
    delta_choice,
    functions,
    image_of,
    json_schema_of,
    max_tokens_of,
    merge_turn,
    message_choice,
    messages_of,
    named_function,
    stop_list,
    text_of,
    tool_calls_of,
    unsupported,
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

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "StreamTranslator",
    "error",
    "finish_reason",
    "request",
    "response",
]

PROVIDER = "anthropic"

#: Anthropic requires ``max_tokens``; used when the call sets neither max_tokens nor
#: max_completion_tokens.
DEFAULT_MAX_TOKENS = 4096

FINISH_REASONS: Mapping[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_EFFORTS = ("low", "medium", "high", "xhigh", "max")

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

_PART_KEYS = {"type", "text", "image_url", "cache_control"}


def finish_reason(stop_reason: str | None) -> str:
    return FINISH_REASONS.get(stop_reason or "end_turn", "stop")


# -- request ---------------------------------------------------------------------------------


def request(params: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The Messages request body for OpenAI chat ``params``, sent to ``model``.

    Raises :class:`OptionsError` for anything Anthropic cannot honour.
    """
    check_params(params, _HANDLED, PROVIDER)
    system, turns = _conversation(params.get("messages") or [])
    limit = max_tokens_of(params)
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": DEFAULT_MAX_TOKENS if limit is None else limit,
        "messages": turns,
    }
    if system:
        body["system"] = system
    for name, apply in _FIELDS.items():
        value = params.get(name)
        if value is not None:
            apply(value, body)
    _tool_choice(params, body)
    if params.get("stream"):
        body["stream"] = True
    return body


def _temperature(value: Any, body: dict[str, Any]) -> None:
    if not 0 <= value <= 1:
        raise OptionsError("temperature", value, "0 to 1 for anthropic")
    body["temperature"] = value


def _top_p(value: Any, body: dict[str, Any]) -> None:
    body["top_p"] = value


def _stop(value: Any, body: dict[str, Any]) -> None:
    body["stop_sequences"] = stop_list(value)


def _user(value: Any, body: dict[str, Any]) -> None:
    body["metadata"] = {"user_id": str(value)}


def _tools(value: Any, body: dict[str, Any]) -> None:
    tools = []
    for fn in functions(value, PROVIDER):
        out: dict[str, Any] = {
            "name": fn.get("name"),
            "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
        }
        if fn.get("description"):
            out["description"] = fn["description"]
        if fn.get("strict"):
            out["strict"] = True
        tools.append(out)
    if tools:
        body["tools"] = tools


def _response_format(value: Any, body: dict[str, Any]) -> None:
    fmt = as_dict(value)
    kind = fmt.get("type")
    if kind == "text":
        return
    if kind != "json_schema":
        raise OptionsError(
            "response_format", kind, "text or json_schema for anthropic (it has no JSON mode)"
        )
    output = body.setdefault("output_config", {})
    output["format"] = {"type": "json_schema", "schema": json_schema_of(fmt)}


def _effort(value: Any, body: dict[str, Any]) -> None:
    if value not in _EFFORTS:
        raise OptionsError("reasoning_effort", value, f"one of {', '.join(_EFFORTS)} for anthropic")
    body.setdefault("output_config", {})["effort"] = value


_FIELDS: Mapping[str, Callable[[Any, dict[str, Any]], None]] = {
    "temperature": _temperature,
    "top_p": _top_p,
    "stop": _stop,
    "user": _user,
    "safety_identifier": _user,
    "tools": _tools,
    "response_format": _response_format,
    "reasoning_effort": _effort,
}

_HANDLED = frozenset(
    {*_FIELDS, "max_tokens", "max_completion_tokens", "tool_choice", "parallel_tool_calls"}
)


def _tool_choice(params: Mapping[str, Any], body: dict[str, Any]) -> None:
    choice = params.get("tool_choice")
    parallel = params.get("parallel_tool_calls")
    if choice is None and parallel is not False:
        return
    if choice is None or choice == "auto":
        out: dict[str, Any] = {"type": "auto"}
    elif choice == "none":
        body["tool_choice"] = {"type": "none"}
        return
    elif choice == "required":
        out = {"type": "any"}
    else:
        out = {"type": "tool", "name": named_function(choice)}
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    body["tool_choice"] = out


# -- messages --------------------------------------------------------------------------------


def _conversation(messages: Any) -> tuple[str | list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for where, role, message in messages_of(messages, PROVIDER):
        if role in ("system", "developer"):
            system.extend(_blocks(message.get("content"), where))
        else:
            merge_turn(turns, *_ROLES[role](message, where))
    for turn in turns:  # a lone text block reads better as a string
        content = turn["content"]
        if len(content) == 1 and content[0]["type"] == "text" and len(content[0]) == 2:
            turn["content"] = content[0]["text"]
    if len(system) == 1 and len(system[0]) == 2:
        return system[0]["text"], turns
    return system, turns


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [_part(as_dict(part), f"{where}.content[{i}]") for i, part in enumerate(content)]


def _part(part: dict[str, Any], where: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind not in ("text", "image_url"):
        raise unsupported(f"{where}.type", kind, PROVIDER, " (text and image_url parts only)")
    check_keys(part, _PART_KEYS, where, PROVIDER)
    if kind == "text":
        out: dict[str, Any] = {"type": "text", "text": str(part.get("text", ""))}
    else:
        out = _image(part, where)
    if part.get("cache_control"):
        out["cache_control"] = dict(part["cache_control"])
    return out


def _image(part: dict[str, Any], where: str) -> dict[str, Any]:
    data, media = image_of(part, where, PROVIDER)
    if media is None:
        return {"type": "image", "source": {"type": "url", "url": data}}
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}


Turn = tuple[str, str, list[dict[str, Any]]]  # (role, "content", blocks)


def _user_turn(message: dict[str, Any], where: str) -> Turn:
    return "user", "content", _blocks(message.get("content"), where)


def _assistant_turn(message: dict[str, Any], where: str) -> Turn:
    content = message.get("content")
    blocks = [] if content in (None, "") else _blocks(content, where)
    for call, name, arguments in tool_calls_of(message, where):
        blocks.append({"type": "tool_use", "id": call.get("id"), "name": name, "input": arguments})
    return "assistant", "content", blocks


def _tool_turn(message: dict[str, Any], where: str) -> Turn:
    result = {
        "type": "tool_result",
        "tool_use_id": message.get("tool_call_id"),
        "content": text_of(message.get("content"), f"{where}.content", PROVIDER),
    }
    return "user", "content", [result]


_ROLES: Mapping[str, Callable[[dict[str, Any], str], Turn]] = {
    "user": _user_turn,
    "assistant": _assistant_turn,
    "tool": _tool_turn,
}


# -- response --------------------------------------------------------------------------------


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
