"""Span attributes from a request-log row: OpenTelemetry's GenAI conventions plus ``helicone.*``.

Pure functions over data the recorder already gathered (the :class:`Call`, its
:class:`Result` and the log row); no OpenTelemetry import. The list is documented in
docs/opentelemetry.md; attribute names follow the GenAI semantic conventions as of 2026
(``gen_ai.provider.name``, ``gen_ai.usage.cache_write.input_tokens``, …).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..pipeline._call import Call, Result

__all__ = [
    "Attributes",
    "error_type",
    "helicone_attributes",
    "operation_of",
    "provider_name",
    "request_attributes",
    "response_attributes",
    "sent_call",
]

Attributes = dict[str, Any]  # str | bool | int | float, or a homogeneous list of them

#: call.kind -> gen_ai.operation.name
_OPERATIONS: Mapping[str, str] = {"chat.completions": "chat", "embeddings": "embeddings"}

#: helicone_lite provider name -> gen_ai.provider.name well-known value (others pass through)
_PROVIDERS: Mapping[str, str] = {
    "gemini": "gcp.gemini",
    "google": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "azure": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value) and value:
        return list(value)
    return None


def _output_type(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, Mapping) else None
    return {"json_object": "json", "json_schema": "json", "text": "text"}.get(str(kind))


#: request parameter -> (attribute, converter)
_PARAMS: Mapping[str, tuple[str, Callable[[Any], Any]]] = {
    "max_completion_tokens": ("gen_ai.request.max_tokens", _int),
    "max_tokens": ("gen_ai.request.max_tokens", _int),
    "temperature": ("gen_ai.request.temperature", _float),
    "top_p": ("gen_ai.request.top_p", _float),
    "frequency_penalty": ("gen_ai.request.frequency_penalty", _float),
    "presence_penalty": ("gen_ai.request.presence_penalty", _float),
    "seed": ("gen_ai.request.seed", _int),
    "stop": ("gen_ai.request.stop_sequences", _strings),
    "reasoning_effort": ("gen_ai.request.reasoning.level", lambda v: v or None),
    "response_format": ("gen_ai.output.type", _output_type),
    "dimensions": ("gen_ai.embeddings.dimension.count", _int),
    "encoding_format": ("gen_ai.request.encoding_formats", _strings),
}


def operation_of(kind: str) -> str:
    return _OPERATIONS.get(kind, kind)


def provider_name(provider: str | None) -> str:
    """The ``gen_ai.provider.name`` for a helicone_lite provider name."""
    if not provider:
        return "openai"
    return _PROVIDERS.get(provider, provider)


def sent_call(call: Call, result: Result) -> Call:
    """The call as sent to the provider (the prompt layer logs its rendered call there)."""
    return result.sent or call


def _answering(call: Call, row: Mapping[str, Any]) -> Call | None:
    index = row.get("fallback_index", call.target_index)
    if not call.targets or not isinstance(index, int) or not 0 <= index < len(call.targets):
        return None
    return call if index == call.target_index else call.evolve(target_index=index)


def _server(call: Call, row: Mapping[str, Any]) -> Attributes:
    target = _answering(call, row)
    if target is None:
        return {}
    try:
        host, port = _host_port(target.target.adapter.endpoint(target))
    except Exception:  # an adapter that cannot say where it sends: leave the attributes out
        return {}
    if not host:
        return {}
    return {"server.address": host, "server.port": port} if port else {"server.address": host}


@functools.lru_cache(maxsize=256)
def _host_port(endpoint: str) -> tuple[str | None, int | None]:
    """Host and port of a base URL (never its credentials); a client has only a few."""
    url = urlsplit(endpoint)
    port = url.port if url.port is not None else {"https": 443, "http": 80}.get(url.scheme)
    return url.hostname, port


def request_attributes(call: Call, row: Mapping[str, Any]) -> Attributes:
    """What was asked: operation, provider, model, server and request parameters."""
    params = call.params
    provider = row.get("provider") or (call.target.provider if call.targets else None)
    asked = str(row.get("model") or call.model)
    answering = _answering(call, row)
    # a fallback chain ("gpt-4o/claude-sonnet-4"): the entry that answered (or failed last)
    model = answering.target.model if answering and len(call.targets) > 1 else asked
    attrs: Attributes = {
        "gen_ai.operation.name": operation_of(call.kind),
        "gen_ai.provider.name": provider_name(provider),
        "gen_ai.system": provider_name(provider),  # the pre-1.37 name, still read by some backends
        "gen_ai.request.model": model,
    }
    if model != asked:
        attrs["helicone.model"] = asked
    attrs.update(_server(call, row))
    for name, value in params.items():
        mapped = _PARAMS.get(name)
        if mapped is not None and (converted := mapped[1](value)) is not None:
            attrs[mapped[0]] = converted
    newer = _int(params.get("max_completion_tokens"))  # wins over the deprecated max_tokens
    if newer is not None:
        attrs["gen_ai.request.max_tokens"] = newer
    choices = _int(params.get("n"))
    if choices is not None and choices != 1:
        attrs["gen_ai.request.choice.count"] = choices
    if call.stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


#: log column -> attribute (both are included in input_tokens, as the conventions ask)
_CACHE_USAGE = (
    ("cached_tokens", "gen_ai.usage.cache_read.input_tokens"),
    ("cache_write_tokens", "gen_ai.usage.cache_write.input_tokens"),
)


def _finish_reasons(response: Mapping[str, Any] | None, failed: bool) -> list[str] | None:
    choices = response.get("choices") if response is not None else None
    if isinstance(choices, list) and choices:
        return [str(c.get("finish_reason") or "error") for c in choices if isinstance(c, Mapping)]
    return ["error"] if failed else None


def response_attributes(
    call: Call, row: Mapping[str, Any], response: Mapping[str, Any] | None, failed: bool
) -> Attributes:
    """What came back: response model and id, finish reasons, token usage, time to first chunk."""
    attrs: Attributes = {}
    model = row.get("response_model") or (response or {}).get("model")
    if model:
        attrs["gen_ai.response.model"] = str(model)
    response_id = (response or {}).get("id")
    if isinstance(response_id, str) and response_id:
        attrs["gen_ai.response.id"] = response_id
    if call.kind == "chat.completions":
        reasons = _finish_reasons(response, failed)
        if reasons:
            attrs["gen_ai.response.finish_reasons"] = reasons
    prompt_tokens = _int(row.get("prompt_tokens"))
    if prompt_tokens is not None:  # the provider reported usage
        attrs["gen_ai.usage.input_tokens"] = prompt_tokens
        if call.kind == "chat.completions":
            attrs["gen_ai.usage.output_tokens"] = _int(row.get("completion_tokens")) or 0
        for column, attribute in _CACHE_USAGE:
            value = _int(row.get(column))
            if value:
                attrs[attribute] = value
    ttft = _float(row.get("ttft_ms"))
    if call.stream and ttft is not None:
        attrs["gen_ai.response.time_to_first_chunk"] = ttft / 1000.0
    return attrs


def _helicone_options(row: Mapping[str, Any]) -> Attributes:
    attrs: Attributes = {}
    for column, attribute in (
        ("session_id", "helicone.session.id"),
        ("session_path", "helicone.session.path"),
        ("session_name", "helicone.session.name"),
        ("user_id", "helicone.user_id"),
        ("prompt_id", "helicone.prompt.id"),
        ("prompt_environment", "helicone.prompt.environment"),
        ("cache_status", "helicone.cache.status"),
        ("cache_reference_id", "helicone.cache.reference_id"),
    ):
        value = row.get(column)
        if isinstance(value, str) and value:
            attrs[attribute] = value
    for name, value in (row.get("properties") or {}).items():
        if isinstance(value, str):
            attrs[f"helicone.property.{str(name).lower()}"] = value
    return attrs


def helicone_attributes(row: Mapping[str, Any], cost: float | None) -> Attributes:
    """helicone.* (the log row's own columns) and the standard ids they map to."""
    attrs: Attributes = {"helicone.request_id": str(row.get("id", ""))}
    attrs.update(_helicone_options(row))
    if "helicone.session.id" in attrs:
        attrs["gen_ai.conversation.id"] = attrs["helicone.session.id"]
        attrs["session.id"] = attrs["helicone.session.id"]
    if "helicone.user_id" in attrs:
        attrs["user.id"] = attrs["helicone.user_id"]
    if "helicone.prompt.id" in attrs:
        attrs["gen_ai.prompt.name"] = attrs["helicone.prompt.id"]
    version = _int(row.get("prompt_version"))
    if version is not None:
        attrs["helicone.prompt.version"] = version
        if "gen_ai.prompt.name" in attrs:
            attrs["gen_ai.prompt.version"] = str(version)
    for column, attribute in (
        ("status", "helicone.status"),
        ("fallback_index", "helicone.fallback_index"),
        ("cache_bucket_idx", "helicone.cache.bucket_idx"),
    ):
        value = _int(row.get(column))
        if value is not None:
            attrs[attribute] = value
    attempts = row.get("attempts")
    count = len(attempts) if isinstance(attempts, (list, tuple)) else _int(attempts)
    if count is not None:
        attrs["helicone.attempts"] = count
    provider = row.get("provider")
    if isinstance(provider, str) and provider:
        attrs["helicone.provider"] = provider
    if cost is not None:
        attrs["helicone.cost_usd"] = cost
    return attrs


def error_type(error: BaseException) -> str:
    """``error.type``: the exception's class name (``RateLimitError``, ``APITimeoutError``…),
    as OpenTelemetry's own OpenAI instrumentation reports it."""
    return type(error).__qualname__
