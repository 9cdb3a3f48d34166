"""Prompt and completion content for spans, only when ``otel_capture_content=True``.

OpenAI-shaped messages become the GenAI conventions' message format (``role`` + ``parts``:
``text``, ``tool_call``, ``tool_call_response``; anything else is kept as a generic part of
its own ``type``), recorded as JSON strings on ``gen_ai.input.messages`` and
``gen_ai.output.messages`` (Python spans take no structured attributes). Prompt inputs become
``gen_ai.prompt.variable.<name>``. ``Helicone-Omit-Request`` / ``-Omit-Response`` leave the
matching side out. Anything that looks like an API key is blanked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..pipeline._call import Call

__all__ = ["content_attributes", "input_messages", "output_messages"]

Part = dict[str, Any]


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _tool_call(call: Mapping[str, Any]) -> Part:
    function = call.get("function") or {}
    return {
        "type": "tool_call",
        "id": call.get("id"),
        "name": str(function.get("name") or ""),
        "arguments": _arguments(function.get("arguments")),
    }


def _content_parts(content: Any) -> list[Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[Part] = []
    for item in content if isinstance(content, list) else [content]:
        if isinstance(item, Mapping) and item.get("type") == "text":
            parts.append({"type": "text", "content": str(item.get("text", ""))})
        elif isinstance(item, Mapping):
            parts.append(dict(item))  # image_url, input_audio, file…: a generic part, as sent
        else:
            parts.append({"type": "text", "content": str(item)})
    return parts


def _input_message(message: Any) -> dict[str, Any]:
    if hasattr(message, "model_dump"):
        message = message.model_dump(exclude_none=True)
    if not isinstance(message, Mapping):
        return {"role": "user", "parts": _content_parts(str(message))}
    role = str(message.get("role") or "user")
    if role == "tool":
        response = {"type": "tool_call_response", "id": message.get("tool_call_id")}
        response["response"] = message.get("content")
        return {"role": role, "parts": [response]}
    parts = _content_parts(message.get("content"))
    parts.extend(_tool_call(c) for c in message.get("tool_calls") or () if isinstance(c, Mapping))
    return {"role": role, "parts": parts}


def input_messages(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request's messages in the conventions' input format, in the order sent."""
    return [_input_message(m) for m in params.get("messages") or ()]


def output_messages(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One output message per choice (``finish_reason`` ``error`` when none came)."""
    messages: list[dict[str, Any]] = []
    for choice in response.get("choices") or ():
        if not isinstance(choice, Mapping):
            continue
        message = choice.get("message") or {}
        parts = _content_parts(message.get("content"))
        parts.extend(_tool_call(c) for c in message.get("tool_calls") or ())
        messages.append(
            {
                "role": str(message.get("role") or "assistant"),
                "parts": parts,
                "finish_reason": str(choice.get("finish_reason") or "error"),
            }
        )
    return messages


def _dump(value: Any, redact: Callable[[str], str]) -> str:
    return redact(json.dumps(value, ensure_ascii=False, default=str))


def content_attributes(
    call: Call,
    response: Mapping[str, Any] | None,
    redact: Callable[[str], str],
) -> dict[str, Any]:
    """The opt-in content attributes of a chat call, honouring the omit options."""
    attrs: dict[str, Any] = {}
    options = call.options
    if call.kind != "chat.completions":
        return attrs
    if not options.omit_request:
        attrs["gen_ai.input.messages"] = _dump(input_messages(call.params), redact)
        for name, value in (options.prompt_inputs or {}).items():
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            attrs[f"gen_ai.prompt.variable.{name}"] = redact(text)
    if not options.omit_response and response is not None and response.get("choices"):
        attrs["gen_ai.output.messages"] = _dump(output_messages(response), redact)
    return attrs
