"""The Gemini (Google GenAI developer API) wire protocol, ``alt=sse`` streaming included."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ._outcomes import ToolCall
from ._reply import Completion, Prompt, embedding_vector, join_text, resolve
from ._wire import (
    Answer,
    Exchange,
    Handler,
    Protocol,
    Route,
    WireError,
    json_answer,
    route,
    sse_answer,
    sse_data,
    texts_of,
)

EMBEDDING_DIMENSIONS = 16

FINISH_REASONS = MappingProxyType(
    {
        "stop": "STOP",
        "length": "MAX_TOKENS",
        "tool_calls": "STOP",
        "function_call": "STOP",
        "content_filter": "SAFETY",
    }
)

_STATUSES = MappingProxyType(
    {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ABORTED",
        429: "RESOURCE_EXHAUSTED",
        499: "CANCELLED",
        500: "INTERNAL",
        501: "NOT_IMPLEMENTED",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    }
)

_MODEL_PATH = r"/(?P<version>v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):"


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = _STATUSES.get(status, "FAILED_PRECONDITION" if status < 500 else "INTERNAL")
    return {"error": {"code": status, "message": message, "status": kind}}


def headers(seq: int, status: int) -> list[tuple[str, str]]:
    return [("x-goog-request-id", f"fake{seq}"), ("server-timing", "gfet4t7; dur=1")]


def _prompt(body: dict[str, Any]) -> Prompt:
    contents = body.get("contents")
    if not isinstance(contents, list):
        raise WireError(400, "* GenerateContentRequest.contents: contents is not specified")
    system = body.get("systemInstruction")
    texts = texts_of(system.get("parts")) if isinstance(system, dict) else []
    last_user = ""
    for content in contents:
        if not isinstance(content, dict):
            raise WireError(400, "* GenerateContentRequest.contents: must be objects")
        pieces = texts_of(content.get("parts"))
        texts.extend(pieces)
        if content.get("role", "user") == "user":
            last_user = join_text(pieces)
    return Prompt(tuple(texts), last_user)


def finish_reason(done: Completion) -> str:
    return FINISH_REASONS.get(done.finish_reason, done.finish_reason)


def _usage(done: Completion, *, final: bool) -> dict[str, Any]:
    if not final:
        return {"promptTokenCount": done.prompt_tokens, "totalTokenCount": done.prompt_tokens}
    usage: dict[str, Any] = {
        "promptTokenCount": done.prompt_tokens,
        "candidatesTokenCount": done.completion_tokens,
        "totalTokenCount": done.total_tokens,
    }
    if done.cached_tokens:
        usage["cachedContentTokenCount"] = done.cached_tokens
    return usage


def _call_part(call: ToolCall) -> dict[str, Any]:
    function_call: dict[str, Any] = {"name": call.name, "args": call.arguments_dict}
    if call.id:
        function_call["id"] = call.id
    return {"functionCall": function_call}


def _response(
    ex: Exchange, done: Completion, parts: list[dict[str, Any]], *, final: bool
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if final:
        candidate["finishReason"] = finish_reason(done)
    candidate["index"] = 0
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(done, final=final),
        "modelVersion": done.model,
        "responseId": f"fake{ex.seq}",
    }


def _has_text(done: Completion) -> bool:
    return done.text is not None and (bool(done.text) or not done.tool_calls)


def generate_content(ex: Exchange) -> Answer:
    done = resolve(ex.reply, _prompt(ex.body), ex.require_model())
    parts = [{"text": done.text}] if _has_text(done) else []
    parts.extend(_call_part(call) for call in done.tool_calls)
    return json_answer(_response(ex, done, parts, final=True))


def stream_generate_content(ex: Exchange) -> Answer:
    done = resolve(ex.reply, _prompt(ex.body), ex.require_model())
    parts: list[dict[str, Any]] = [{"text": t} for t in done.text_chunks()]
    parts.extend(_call_part(call) for call in done.tool_calls)
    if not parts:
        parts = [{"text": ""}]
    chunks = [
        _response(ex, done, [part], final=i == len(parts) - 1) for i, part in enumerate(parts)
    ]
    if ex.incoming.query.get("alt") != "sse":
        return json_answer(chunks)
    return sse_answer([sse_data(chunk, end=b"\r\n\r\n") for chunk in chunks])


def count_tokens(ex: Exchange) -> Answer:
    body = ex.body
    request = body.get("generateContentRequest", body)
    tokens = _prompt(request if isinstance(request, dict) else {}).tokens
    return json_answer({"totalTokens": tokens})


def _embedding(request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or not isinstance(request.get("content"), dict):
        raise WireError(400, "* EmbedContentRequest.content: content is not specified")
    text = join_text(texts_of(request["content"].get("parts")))
    config = request.get("embedContentConfig")
    dims = request.get("outputDimensionality")
    if dims is None and isinstance(config, dict):
        dims = config.get("outputDimensionality")
    return {"values": embedding_vector(text, int(dims or EMBEDDING_DIMENSIONS))}


def embed_content(ex: Exchange) -> Answer:
    ex.require_model()
    return json_answer({"embedding": _embedding(ex.body)})


def batch_embed_contents(ex: Exchange) -> Answer:
    ex.require_model()
    requests = ex.body.get("requests")
    if not isinstance(requests, list):
        raise WireError(400, "* BatchEmbedContentsRequest.requests: requests is not specified")
    return json_answer({"embeddings": [_embedding(r) for r in requests]})


def _model_route(
    verb: str, handler: Handler, *, inference: bool = False, streaming: bool = False
) -> Route:
    """``POST /{version}/models/{model}:{verb}``; the endpoint is named after the verb."""
    path = f"POST {_MODEL_PATH}{verb}"
    return route(path, verb, handler, inference=inference, streaming=streaming)


PROTOCOL = Protocol(
    name="gemini",
    routes=(
        _model_route("generateContent", generate_content, inference=True),
        _model_route(
            "streamGenerateContent", stream_generate_content, inference=True, streaming=True
        ),
        _model_route("countTokens", count_tokens),
        _model_route("embedContent", embed_content, inference=True),
        _model_route("batchEmbedContents", batch_embed_contents, inference=True),
    ),
    error_body=error_body,
    headers=headers,
)
