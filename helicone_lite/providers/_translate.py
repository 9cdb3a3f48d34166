"""Pure helpers shared by the provider translations (no SDK, no I/O).

Each provider module (``_anthropic_translate``, ``_gemini_translate``) declares which OpenAI
chat parameters it honours; :func:`check_params` refuses every other parameter with an
:class:`~helicone_lite.OptionsError` naming it, unless its value is one that changes nothing
(``n=1``, ``logprobs=False``…). Nothing is dropped silently.

Types: what the user passes (``params``, messages, parts, tools) is JSON as written, typed
``Mapping[str, Any]``/``Any`` and checked field by field where it is read (an unknown field or
a wrong value is an :class:`~helicone_lite.OptionsError`); what the translations build in
OpenAI's shape (choices, deltas, tool calls, usage) is typed by the TypedDicts below, the
``ChatCompletion``/``ChatCompletionChunk`` JSON that ``model_validate`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Literal, TypedDict

from openai.types.chat import ChatCompletionChunk
from typing_extensions import NotRequired, Required

from .._errors import OptionsError
from .._response import ChatCompletion

__all__ = [
    "ALWAYS_HANDLED",
    "as_dict",
    "check_params",
    "chunk",
    "completion",
    "data_url",
    "functions",
    "image_of",
    "json_schema_of",
    "max_tokens_of",
    "merge_turn",
    "messages_of",
    "named_function",
    "stop_list",
    "text_of",
    "tool_arguments",
    "tool_calls_of",
    "unsupported",
    "usage",
]


class FunctionJSON(TypedDict, total=False):
    """A tool call's ``function``: a stream's deltas carry ``arguments`` piece by piece."""

    name: str
    arguments: str


class ToolCallJSON(TypedDict, total=False):
    """A tool call of a message, or of a delta (``index`` only in deltas)."""

    index: int
    id: str
    type: Literal["function"]
    function: FunctionJSON
    #: Gemini's thought signature, where Google's OpenAI-compatible endpoint keeps it
    extra_content: dict[str, dict[str, str]]


class DeltaJSON(TypedDict, total=False):
    """What one chunk adds to the assistant's message."""

    role: Literal["assistant"]
    content: str | None
    tool_calls: list[ToolCallJSON]


class MessageJSON(TypedDict):
    role: Literal["assistant"]
    content: str | None
    refusal: None
    tool_calls: NotRequired[list[ToolCallJSON]]


class ChoiceJSON(TypedDict):
    """One choice of a ``ChatCompletion``."""

    index: int
    message: MessageJSON
    finish_reason: str
    logprobs: None


class DeltaChoiceJSON(TypedDict):
    """One choice of a ``ChatCompletionChunk``."""

    index: int
    delta: DeltaJSON
    finish_reason: str | None
    logprobs: None


class PromptDetailsJSON(TypedDict, total=False):
    cached_tokens: Required[int]
    cache_write_tokens: int


class CompletionDetailsJSON(TypedDict):
    reasoning_tokens: int


class UsageJSON(TypedDict):
    """OpenAI's ``usage`` (``prompt_tokens`` includes cached and cache-write tokens)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptDetailsJSON
    completion_tokens_details: NotRequired[CompletionDetailsJSON]


#: Handled for every provider by the client itself (routing, streaming, usage reporting).
ALWAYS_HANDLED = frozenset({"model", "messages", "stream", "stream_options"})

#: Values of a parameter that ask for nothing beyond the default: accepted everywhere.
_NEUTRAL: Mapping[str, tuple[Any, ...]] = {
    "n": (1,),
    "logprobs": (False,),
    "top_logprobs": (0,),
    "presence_penalty": (0,),
    "frequency_penalty": (0,),
    "logit_bias": ({},),
    "parallel_tool_calls": (True,),
    "store": (False,),
    "modalities": (["text"],),
    "service_tier": ("auto",),
    "metadata": ({},),
    "tools": ([],),
}


def unsupported(option: str, value: object, provider: str, hint: str = "") -> OptionsError:
    """The error for a parameter ``provider`` cannot honour."""
    reason = f"{provider} cannot honour it; remove it{hint or ''}"
    return OptionsError(option, value, f"no {option.rsplit('.', 1)[-1]} ({reason})")


def check_params(params: Mapping[str, Any], handled: Collection[str], provider: str) -> None:
    """Raise :class:`OptionsError` for the first parameter ``provider`` cannot honour."""
    for name, value in params.items():
        if value is None or name in ALWAYS_HANDLED or name in handled:
            continue
        if value in _NEUTRAL.get(name, ()):
            continue
        raise unsupported(name, value, provider)


def as_dict(value: Any) -> dict[str, Any]:
    """A message, part or tool call as a plain dict (users pass back SDK objects too)."""
    if isinstance(value, Mapping):
        return dict(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped: dict[str, Any] = dump(exclude_none=True)
        return dumped
    raise OptionsError("messages", value, "message objects (dicts with role and content)")


def check_keys(
    item: Mapping[str, Any], allowed: Collection[str], where: str, provider: str
) -> None:
    """Refuse a non-empty field outside ``allowed`` (``name`` on a message, say)."""
    for key, value in item.items():
        if key not in allowed and value not in (None, "", [], {}):
            raise unsupported(f"{where}.{key}", value, provider)


def text_of(content: Any, where: str, provider: str) -> str:
    """The text of a string content, or of a list of text parts (system, tool messages)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for i, part in enumerate(content):
        part = as_dict(part)
        if part.get("type") != "text":
            raise unsupported(f"{where}[{i}].type", part.get("type"), provider, " (text only)")
        check_keys(part, ("type", "text"), f"{where}[{i}]", provider)
        pieces.append(str(part.get("text", "")))
    return "".join(pieces)


_MESSAGE_KEYS: Mapping[str, frozenset[str]] = {
    "system": frozenset({"role", "content"}),
    "developer": frozenset({"role", "content"}),
    "user": frozenset({"role", "content"}),
    "assistant": frozenset({"role", "content", "tool_calls", "refusal", "annotations"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
}


def messages_of(messages: Any, provider: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(where, role, message)`` per message, the role and the fields checked (a field the
    provider has no place for, such as ``name``, is refused)."""
    for i, raw in enumerate(messages or ()):
        message = as_dict(raw)
        role = message.get("role")
        if not isinstance(role, str) or role not in _MESSAGE_KEYS:
            raise OptionsError(f"messages[{i}].role", role, ", ".join(_MESSAGE_KEYS))
        where = f"messages[{i}]"
        check_keys(message, _MESSAGE_KEYS[role], where, provider)
        yield where, role, message


def merge_turn(turns: list[dict[str, Any]], role: str, key: str, items: list[Any]) -> None:
    """Append ``items`` to the last turn if it has ``role``, else start a turn (providers
    want alternating turns; OpenAI allows consecutive messages of one role)."""
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(items)
    else:
        turns.append({"role": role, key: items})


def tool_calls_of(
    message: Mapping[str, Any], where: str
) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
    """``(call, function name, arguments object)`` for each tool call of an assistant message."""
    for j, raw in enumerate(message.get("tool_calls") or ()):
        call = as_dict(raw)
        fn = as_dict(call.get("function") or {})
        arguments = tool_arguments(fn.get("arguments"), f"{where}.tool_calls[{j}].arguments")
        yield call, str(fn.get("name")), arguments


def functions(tools: Any, provider: str) -> list[dict[str, Any]]:
    """The ``function`` objects of ``tools`` (other tool types are refused)."""
    out = []
    for i, raw in enumerate(tools):
        tool = as_dict(raw)
        if tool.get("type", "function") != "function":
            raise unsupported(f"tools[{i}].type", tool.get("type"), provider, " (function only)")
        out.append(as_dict(tool.get("function") or {}))
    return out


def named_function(choice: Any) -> str:
    """The function name of a ``tool_choice`` object."""
    named = as_dict(choice)
    name = as_dict(named.get("function") or {}).get("name")
    if named.get("type") != "function" or not name:
        raise OptionsError("tool_choice", choice, "auto, none, required or a function")
    return str(name)


def json_schema_of(fmt: Mapping[str, Any]) -> dict[str, Any]:
    """The schema of a ``json_schema`` response format."""
    schema = as_dict(fmt.get("json_schema") or {}).get("schema")
    if not isinstance(schema, Mapping):
        raise OptionsError("response_format.json_schema.schema", schema, "a JSON schema object")
    return dict(schema)


def image_of(part: Mapping[str, Any], where: str, provider: str) -> tuple[str, str | None]:
    """``(url, None)`` for an image by URL, ``(base64 data, media type)`` for a data URL."""
    image = as_dict(part.get("image_url") or {})
    if image.get("detail") not in (None, "auto"):
        raise unsupported(f"{where}.image_url.detail", image["detail"], provider)
    url = str(image.get("url", ""))
    inline = data_url(url)
    return (url, None) if inline is None else (inline[1], inline[0])


def data_url(url: str) -> tuple[str, str] | None:
    """``(media type, base64 data)`` of a ``data:<type>;base64,<data>`` URL, else ``None``."""
    if not url.startswith("data:"):
        return None
    head, sep, data = url[5:].partition(",")
    media, _, encoding = head.partition(";")
    if not sep or encoding != "base64" or not media:
        raise OptionsError("image_url.url", url[:40] + "…", "data:<media type>;base64,<data>")
    return media, data


def tool_arguments(arguments: Any, where: str) -> dict[str, Any]:
    """A tool call's JSON ``arguments`` as an object (Anthropic and Gemini carry objects)."""
    if isinstance(arguments, Mapping):
        return dict(arguments)
    try:
        loaded = json.loads(arguments or "{}")
    except (TypeError, ValueError):
        loaded = None
    if not isinstance(loaded, dict):
        raise OptionsError(where, arguments, "a JSON object as a string")
    return loaded


def stop_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(s) for s in value]


def max_tokens_of(params: Mapping[str, Any]) -> int | None:
    """``max_completion_tokens`` (OpenAI's current name), else ``max_tokens``."""
    value = params.get("max_completion_tokens")
    if value is None:
        value = params.get("max_tokens")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise OptionsError("max_tokens", value, "a non-negative integer")
    return value


def usage(
    prompt: int,
    completion: int,
    *,
    cached: int = 0,
    cache_write: int | None = None,
    reasoning: int | None = None,
) -> UsageJSON:
    """OpenAI usage: ``prompt_tokens`` includes cached (and cache-write) input tokens."""
    details: PromptDetailsJSON = {"cached_tokens": cached}
    if cache_write is not None:
        details["cache_write_tokens"] = cache_write
    out: UsageJSON = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": details,
    }
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def completion(
    id: str, created: int, model: str, choices: list[ChoiceJSON], usage: UsageJSON
) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
        }
    )


def chunk(
    id: str,
    created: int,
    model: str,
    choices: list[DeltaChoiceJSON],
    usage: UsageJSON | None = None,
) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
        }
    )


def delta_choice(index: int, delta: DeltaJSON, finish_reason: str | None = None) -> DeltaChoiceJSON:
    return {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}


def message_choice(
    index: int, content: str | None, tool_calls: list[ToolCallJSON], finish_reason: str
) -> ChoiceJSON:
    message: MessageJSON = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"index": index, "message": message, "finish_reason": finish_reason, "logprobs": None}
