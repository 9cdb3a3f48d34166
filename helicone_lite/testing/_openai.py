"""The OpenAI wire protocol: chat completions (streaming too), legacy completions, embeddings,
moderations, models."""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._reply import Completion, Prompt, embedding_vector, estimate_tokens, join_text, resolve, split
from ._schema import structured_reply
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

EMBEDDING_DIMENSIONS = 16
MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "text-embedding-3-small")
OWNER = "helicone-lite-fake"

_ERROR_KINDS: Mapping[int, tuple[str, str | None]] = MappingProxyType(
    {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        403: ("permission_error", None),
        404: ("invalid_request_error", "not_found"),
        429: ("requests", "rate_limit_exceeded"),
        500: ("server_error", None),
        503: ("server_error", "service_unavailable"),
    }
)


def error_body(status: int, message: str) -> dict[str, Any]:
    default = ("invalid_request_error", None) if status < 500 else ("server_error", None)
    kind, code = _ERROR_KINDS.get(status, default)
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def headers(seq: int, status: int) -> list[tuple[str, str]]:
    remaining = "0" if status == 429 else "9999"
    return [
        ("x-request-id", f"req_fake{seq}"),
        ("openai-processing-ms", "1"),
        ("openai-version", "2020-10-01"),
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-remaining-requests", remaining),
        ("x-ratelimit-reset-requests", "6ms"),
        ("x-ratelimit-limit-tokens", "10000000"),
        ("x-ratelimit-remaining-tokens", "9999000" if status != 429 else "0"),
        ("x-ratelimit-reset-tokens", "0s"),
    ]


def _prompt(body: dict[str, Any]) -> Prompt:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise WireError(400, "'messages' must be a list of messages")
    texts: list[str] = []
    last_user = ""
    for message in messages:
        if not isinstance(message, dict):
            raise WireError(400, "each message must be an object")
        pieces = texts_of(message.get("content"))
        texts.extend(pieces)
        if message.get("role") == "user":
            last_user = join_text(pieces)
    return Prompt(tuple(texts), last_user)


def usage(done: Completion) -> dict[str, Any]:
    prompt_details: dict[str, int] = {"cached_tokens": done.cached_tokens, "audio_tokens": 0}
    if done.cache_creation_tokens:
        prompt_details["cache_write_tokens"] = done.cache_creation_tokens
    return {
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "total_tokens": done.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call_id(ex: Exchange, index: int, given: str | None) -> str:
    return given or f"call_fake{ex.seq}_{index}"


def _message(ex: Exchange, done: Completion) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": done.text,
        "refusal": None,
        "annotations": [],
    }
    if done.tool_calls:
        message["tool_calls"] = [
            {
                "id": _tool_call_id(ex, i, call.id),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for i, call in enumerate(done.tool_calls)
        ]
    return message


def _envelope(ex: Exchange, done: Completion, obj: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake{ex.seq}",
        "object": obj,
        "created": ex.created,
        "model": done.model,
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def chat_completions(ex: Exchange) -> Answer:
    body = ex.body
    prompt, reply = _prompt(body), ex.reply
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        reply = structured_reply((fmt.get("json_schema") or {}).get("schema"), reply, prompt)
    done = resolve(reply, prompt, ex.require_model())
    if body.get("stream"):
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        return sse_answer(_stream(ex, done, include_usage=include_usage))
    choice = {
        "index": 0,
        "message": _message(ex, done),
        "logprobs": None,
        "finish_reason": done.finish_reason,
    }
    result = _envelope(ex, done, "chat.completion")
    result.update(choices=[choice], usage=usage(done))
    return json_answer(result)


def _stream(ex: Exchange, done: Completion, *, include_usage: bool) -> list[bytes]:
    base = _envelope(ex, done, "chat.completion.chunk")
    if include_usage:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse_data({**base, "choices": [choice]})

    first = "" if done.text is not None else None
    events = [chunk({"role": "assistant", "content": first, "refusal": None})]
    events.extend(chunk({"content": piece}) for piece in done.text_chunks())
    for i, call in enumerate(done.tool_calls):
        head: dict[str, Any] = {"index": i, "id": _tool_call_id(ex, i, call.id)}
        head.update(type="function", function={"name": call.name, "arguments": ""})
        events.append(chunk({"tool_calls": [head]}))
        for piece in split(call.arguments_json, done.chunk_size):
            fragment = {"index": i, "function": {"arguments": piece}}
            events.append(chunk({"tool_calls": [fragment]}))
    events.append(chunk({}, done.finish_reason))
    if include_usage:
        events.append(sse_data({**base, "choices": [], "usage": usage(done)}))
    events.append(b"data: [DONE]\n\n")
    return events


def completions(ex: Exchange) -> Answer:
    """``POST /v1/completions`` (legacy): the prompt (a string or strings) answered as text."""
    raw = ex.body.get("prompt")
    prompts = [raw] if isinstance(raw, str) else raw
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise WireError(400, "'prompt' must be a string or a list of strings")
    done = resolve(
        ex.reply, Prompt(tuple(prompts), prompts[-1] if prompts else ""), ex.require_model()
    )
    base = {"id": f"cmpl-fake{ex.seq}", "object": "text_completion", "created": ex.created}
    base["model"] = done.model

    def choice(text: str, finish: str | None) -> dict[str, Any]:
        return {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}

    counts = usage(done)
    tokens = {k: counts[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    if not ex.body.get("stream"):
        return json_answer(
            {**base, "choices": [choice(done.text or "", done.finish_reason)], "usage": tokens}
        )
    events = [sse_data({**base, "choices": [choice(piece, None)]}) for piece in done.text_chunks()]
    events.append(sse_data({**base, "choices": [choice("", done.finish_reason)]}))
    return sse_answer([*events, b"data: [DONE]\n\n"])


def _embedding_inputs(value: Any) -> list[tuple[str, int]]:
    """(text the vector derives from, its token count) for each input."""
    if isinstance(value, str):
        return [(value, estimate_tokens(value))]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [(" ".join(map(str, value)), len(value))]
    if isinstance(value, list) and value:
        return [item for v in value for item in _embedding_inputs(v)]
    raise WireError(400, "'input' must be a string, a list of strings, or token arrays")


def _encode_vector(vector: list[float], encoding: Any) -> Any:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def embeddings(ex: Exchange) -> Answer:
    body = ex.body
    model = ex.require_model()
    inputs = _embedding_inputs(body.get("input"))
    dims = body.get("dimensions") or EMBEDDING_DIMENSIONS
    if not isinstance(dims, int) or dims < 1:
        raise WireError(400, "'dimensions' must be a positive integer")
    encoding = body.get("encoding_format", "float")
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": _encode_vector(embedding_vector(text, dims), encoding),
        }
        for i, (text, _) in enumerate(inputs)
    ]
    tokens = sum(n for _, n in inputs)
    if ex.reply is not None and ex.reply.prompt_tokens is not None:
        tokens = ex.reply.prompt_tokens
    if ex.reply is not None and ex.reply.model:
        model = ex.reply.model
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return json_answer({"object": "list", "data": data, "model": model, "usage": usage})


MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def moderations(ex: Exchange) -> Answer:
    """``POST /v1/moderations``: nothing flagged, unless a scripted :class:`Reply` names the
    categories to flag in ``text`` (``Reply(text="illicit,violence")``, score 0.97 each)."""
    raw = ex.body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs:
        raise WireError(400, "'input' must be a string or a non-empty list")
    named = ex.reply.text if ex.reply is not None and ex.reply.text else ""
    flagged = {c.strip() for c in named.split(",") if c.strip() in MODERATION_CATEGORIES}
    result = {
        "flagged": bool(flagged),
        "categories": {c: c in flagged for c in MODERATION_CATEGORIES},
        "category_scores": {c: 0.97 if c in flagged else 0.001 for c in MODERATION_CATEGORIES},
        "category_applied_input_types": {c: ["text"] for c in MODERATION_CATEGORIES},
    }
    model = ex.model or "omni-moderation-latest"
    body = {"id": f"modr-{ex.seq}", "model": model, "results": [result for _ in inputs]}
    return json_answer(body)


def _model_object(model_id: str, created: int) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": OWNER}


def list_models(ex: Exchange) -> Answer:
    data = [_model_object(m, ex.created) for m in MODELS]
    return json_answer({"object": "list", "data": data})


def retrieve_model(ex: Exchange) -> Answer:
    return json_answer(_model_object(ex.require_model(), ex.created))


PROTOCOL = Protocol(
    name="openai",
    routes=(
        route(
            "POST (?:/v1)?/chat/completions", "chat.completions", chat_completions, inference=True
        ),
        route("POST (?:/v1)?/completions", "completions", completions, inference=True),
        route("POST (?:/v1)?/embeddings", "embeddings", embeddings, inference=True),
        route("POST (?:/v1)?/moderations", "moderations", moderations, inference=True),
        route("GET (?:/v1)?/models", "models.list", list_models),
        route("GET (?:/v1)?/models/(?P<model>[^/]+)", "models.retrieve", retrieve_model),
    ),
    error_body=error_body,
    headers=headers,
)
