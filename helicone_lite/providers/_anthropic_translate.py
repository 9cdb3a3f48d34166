"""OpenAI chat completions <-> Anthropic Messages: pure translation, no SDK call.

``request`` turns OpenAI chat parameters into a Messages request body (the JSON that reaches
the wire); the answers' side (``response``, ``StreamTranslator``, ``error``) is
``_anthropic_replies``, re-exported here so callers use one module. See docs/providers.md for
the mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import OptionsError
from ._anthropic_replies import (
    FINISH_REASONS,
    StreamTranslator,
    error,
    finish_reason,
    response,
    usage_of,
)
from ._translate import (
    as_dict,
    check_keys,
    check_params,
    functions,
    image_of,
    json_schema_of,
    max_tokens_of,
    merge_turn,
    messages_of,
    named_function,
    stop_list,
    text_of,
    tool_calls_of,
    unsupported,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "FINISH_REASONS",
    "StreamTranslator",
    "error",
    "finish_reason",
    "request",
    "response",
    "usage_of",
]

PROVIDER = "anthropic"

#: Anthropic requires ``max_tokens``; used when the call sets neither max_tokens nor
#: max_completion_tokens.
DEFAULT_MAX_TOKENS = 4096

_EFFORTS = ("low", "medium", "high", "xhigh", "max")

_PART_KEYS = {"type", "text", "image_url", "cache_control"}


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
