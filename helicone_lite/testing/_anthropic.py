"""The Anthropic Messages wire protocol, streaming events included."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ._outcomes import ToolCall
from ._reply import Completion, Prompt, join_text, resolve, split
from ._wire import (
    Answer,
    Exchange,
    Protocol,
    WireError,
    json_answer,
    route,
    sse_answer,
    sse_data,
    texts_of,
)

STOP_REASONS = MappingProxyType(
    {
        "stop": "end_turn",
        "length": "max_tokens",
        "tool_calls": "tool_use",
        "function_call": "tool_use",
        "content_filter": "refusal",
    }
)

_ERROR_TYPES = MappingProxyType(
    {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "billing_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        500: "api_error",
        504: "timeout_error",
        529: "overloaded_error",
    }
)

_TEXT_KINDS = ("text", "tool_result")


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def headers(seq: int, status: int) -> list[tuple[str, str]]:
    limited = status == 429
    return [
        ("request-id", f"req_fake{seq}"),
        ("anthropic-ratelimit-requests-limit", "4000"),
        ("anthropic-ratelimit-requests-remaining", "0" if limited else "3999"),
        ("anthropic-ratelimit-tokens-limit", "400000"),
        ("anthropic-ratelimit-tokens-remaining", "0" if limited else "399000"),
    ]


def _prompt(body: dict[str, Any]) -> Prompt:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise WireError(400, "messages: Field required")
    texts = texts_of(body.get("system"))
    last_user = ""
    for message in messages:
        if not isinstance(message, dict):
            raise WireError(400, "messages: each message must be an object")
        pieces = texts_of(message.get("content"), kinds=_TEXT_KINDS)
        texts.extend(pieces)
        if message.get("role") == "user":
            last_user = join_text(pieces)
    return Prompt(tuple(texts), last_user)


def _usage(done: Completion, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": done.uncached_prompt_tokens,
        "cache_creation_input_tokens": done.cache_creation_tokens,
        "cache_read_input_tokens": done.cached_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": done.cache_creation_tokens,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _has_text(done: Completion) -> bool:
    return done.text is not None and (bool(done.text) or not done.tool_calls)


def _tool_block(ex: Exchange, index: int, call: ToolCall, tool_input: Any) -> dict[str, Any]:
    tool_id = call.id or f"toolu_fake{ex.seq}_{index}"
    return {"type": "tool_use", "id": tool_id, "name": call.name, "input": tool_input}


def _blocks(ex: Exchange, done: Completion) -> list[dict[str, Any]]:
    blocks = [{"type": "text", "text": done.text}] if _has_text(done) else []
    for i, call in enumerate(done.tool_calls):
        blocks.append(_tool_block(ex, i, call, call.arguments_dict))
    return blocks


def _message(ex: Exchange, done: Completion, *, streaming: bool) -> dict[str, Any]:
    output = done.completion_tokens
    return {
        "id": f"msg_fake{ex.seq}",
        "type": "message",
        "role": "assistant",
        "model": done.model,
        "content": [] if streaming else _blocks(ex, done),
        "stop_reason": None if streaming else stop_reason(done),
        "stop_sequence": None,
        "usage": _usage(done, min(1, output) if streaming else output),
    }


def stop_reason(done: Completion) -> str:
    return STOP_REASONS.get(done.finish_reason, done.finish_reason)


def messages(ex: Exchange) -> Answer:
    body = ex.body
    done = resolve(ex.reply, _prompt(body), ex.require_model())
    if body.get("stream"):
        return sse_answer(_stream(ex, done))
    return json_answer(_message(ex, done, streaming=False))


def _event(obj: dict[str, Any]) -> bytes:
    return sse_data(obj, event=str(obj["type"]))


def _block_events(index: int, start: dict[str, Any], deltas: list[dict[str, Any]]) -> list[bytes]:
    events = [_event({"type": "content_block_start", "index": index, "content_block": start})]
    for delta in deltas:
        events.append(_event({"type": "content_block_delta", "index": index, "delta": delta}))
    events.append(_event({"type": "content_block_stop", "index": index}))
    return events


def _stream(ex: Exchange, done: Completion) -> list[bytes]:
    events = [_event({"type": "message_start", "message": _message(ex, done, streaming=True)})]
    events.append(_event({"type": "ping"}))
    index = 0
    if _has_text(done):
        deltas = [{"type": "text_delta", "text": t} for t in done.text_chunks()]
        events.extend(_block_events(index, {"type": "text", "text": ""}, deltas))
        index += 1
    for i, call in enumerate(done.tool_calls):
        pieces = split(call.arguments_json, done.chunk_size)
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
        events.extend(_block_events(index + i, _tool_block(ex, i, call, {}), deltas))
    usage = _usage(done, done.completion_tokens)
    del usage["cache_creation"], usage["service_tier"]
    delta = {"stop_reason": stop_reason(done), "stop_sequence": None}
    events.append(_event({"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(_event({"type": "message_stop"}))
    return events


def count_tokens(ex: Exchange) -> Answer:
    ex.require_model()
    return json_answer({"input_tokens": _prompt(ex.body).tokens})


PROTOCOL = Protocol(
    name="anthropic",
    routes=(
        route("POST /v1/messages", "messages", messages, inference=True),
        route("POST /v1/messages/count_tokens", "messages.count_tokens", count_tokens),
    ),
    error_body=error_body,
    headers=headers,
)
