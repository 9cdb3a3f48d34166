"""OpenAI chat completions <-> Gemini ``generateContent``: pure translation, no SDK call.

``request`` turns OpenAI chat parameters into the ``contents`` and ``config`` that
``google-genai``'s ``generate_content`` takes; ``response`` turns a
``GenerateContentResponse`` into a ``ChatCompletion``; ``StreamTranslator`` turns streamed
responses into ``ChatCompletionChunk``s. See docs/providers.md for the mapping.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx2
from openai.types.chat import ChatCompletionChunk

from .._errors import OptionsError
from .._response import ChatCompletion
from ._errors import provider_status_error, transport_error
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

if TYPE_CHECKING:  # google-genai's response types (the module itself loads with the adapter)
    from google.genai.types import (
        Candidate,
        FinishReason,
        FunctionCall,
        GenerateContentResponse,
        GenerateContentResponseUsageMetadata,
        Part,
    )

__all__ = ["StreamTranslator", "error", "finish_reason", "request", "response"]

PROVIDER = "gemini"

#: Tool-call ids we make up (Gemini rarely sends its own) start with this; they are not sent
#: back to Gemini with the function's result.
SYNTHETIC_ID = "call_hl_"

#: Google's documented placeholder for a replayed function call without its thought signature.
SKIP_SIGNATURE = b"skip_thought_signature_validator"

_FILTERED = ("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY")
FINISH_REASONS: Mapping[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    **dict.fromkeys(_FILTERED, "content_filter"),
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "MODEL_ARMOR": "content_filter",
}

_PART_KEYS = {"type", "text", "image_url"}


def finish_reason(reason: FinishReason | str | None, has_tool_calls: bool) -> str:
    name = getattr(reason, "value", reason) or "STOP"
    mapped = FINISH_REASONS.get(str(name), "stop")
    return "tool_calls" if has_tool_calls and mapped == "stop" else mapped


# -- request ---------------------------------------------------------------------------------


def request(params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``(contents, config)`` for ``generate_content`` from OpenAI chat ``params``.

    Raises :class:`OptionsError` for anything Gemini cannot honour.
    """
    check_params(params, _HANDLED, PROVIDER)
    system, contents = _conversation(params.get("messages") or [])
    config: dict[str, Any] = {
        # helicone_lite is the only loop: no automatic function calls or continuations.
        "automatic_function_calling": {"disable": True},
        "automatic_continuation": False,
    }
    if system:
        config["system_instruction"] = {"parts": [{"text": text} for text in system]}
    limit = max_tokens_of(params)
    if limit is not None:
        config["max_output_tokens"] = limit
    for name, apply in _FIELDS.items():
        value = params.get(name)
        if value is not None:
            apply(value, config)
    return contents, config


def _copy(field: str) -> Callable[[Any, dict[str, Any]], None]:
    def apply(value: Any, config: dict[str, Any]) -> None:
        config[field] = value

    return apply


def _stop(value: Any, config: dict[str, Any]) -> None:
    config["stop_sequences"] = stop_list(value)


def _tools(value: Any, config: dict[str, Any]) -> None:
    declarations = []
    for fn in functions(value, PROVIDER):
        out: dict[str, Any] = {"name": fn.get("name")}
        if fn.get("description"):
            out["description"] = fn["description"]
        if fn.get("parameters"):
            out["parameters_json_schema"] = fn["parameters"]
        declarations.append(out)
    if declarations:
        config["tools"] = [{"function_declarations": declarations}]


def _tool_choice(value: Any, config: dict[str, Any]) -> None:
    modes = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
    if isinstance(value, str) and value in modes:
        calling: dict[str, Any] = {"mode": modes[value]}
    else:
        calling = {"mode": "ANY", "allowed_function_names": [named_function(value)]}
    config["tool_config"] = {"function_calling_config": calling}


def _response_format(value: Any, config: dict[str, Any]) -> None:
    fmt = as_dict(value)
    kind = fmt.get("type")
    if kind == "text":
        return
    if kind not in ("json_object", "json_schema"):
        raise OptionsError("response_format", kind, "text, json_object or json_schema")
    config["response_mime_type"] = "application/json"
    if kind == "json_schema":
        config["response_json_schema"] = json_schema_of(fmt)


_FIELDS: Mapping[str, Callable[[Any, dict[str, Any]], None]] = {
    "temperature": _copy("temperature"),
    "top_p": _copy("top_p"),
    "seed": _copy("seed"),
    "n": _copy("candidate_count"),
    "presence_penalty": _copy("presence_penalty"),
    "frequency_penalty": _copy("frequency_penalty"),
    "stop": _stop,
    "tools": _tools,
    "tool_choice": _tool_choice,
    "response_format": _response_format,
}

# ``user`` has no Gemini equivalent: it is kept in the request log (user_id), not sent.
_HANDLED = frozenset({*_FIELDS, "max_tokens", "max_completion_tokens", "user"})


# -- messages --------------------------------------------------------------------------------


def _conversation(messages: Any) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name (Gemini answers by name)
    for where, role, message in messages_of(messages, PROVIDER):
        if role in ("system", "developer"):
            system.append(text_of(message.get("content"), f"{where}.content", PROVIDER))
        else:
            role_out, parts = _ROLES[role](message, where, names)
            merge_turn(contents, role_out, "parts", parts)
    return system, contents


def _parts(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}]
    return [_part(as_dict(part), f"{where}.content[{i}]") for i, part in enumerate(content)]


def _part(part: dict[str, Any], where: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind not in ("text", "image_url"):
        raise unsupported(f"{where}.type", kind, PROVIDER, " (text and image_url parts only)")
    check_keys(part, _PART_KEYS, where, PROVIDER)
    if kind == "text":
        return {"text": str(part.get("text", ""))}
    data, media = image_of(part, where, PROVIDER)
    if media is None:
        media = mimetypes.guess_type(httpx2.URL(data).path)[0] or "image/jpeg"
        return {"file_data": {"file_uri": data, "mime_type": media}}
    return {"inline_data": {"mime_type": media, "data": base64.b64decode(data)}}


def _user(message: dict[str, Any], where: str, names: dict[str, str]) -> tuple[str, list[Any]]:
    return "user", _parts(message.get("content"), where)


def _assistant(message: dict[str, Any], where: str, names: dict[str, str]) -> tuple[str, list[Any]]:
    content = message.get("content")
    parts = [] if content in (None, "") else _parts(content, where)
    for call, name, args in tool_calls_of(message, where):
        function_call: dict[str, Any] = {"name": name, "args": args}
        call_id = str(call.get("id") or "")
        names[call_id] = name
        if call_id and not call_id.startswith(SYNTHETIC_ID):
            function_call["id"] = call_id
        parts.append({"function_call": function_call, "thought_signature": _signature(call)})
    return "model", parts


def _signature(call: Mapping[str, Any]) -> bytes:
    """The thought signature Gemini gave this call (kept in ``extra_content``, as Google's own
    OpenAI-compatible endpoint does), or Google's documented placeholder."""
    google = as_dict(as_dict(call.get("extra_content") or {}).get("google") or {})
    signature = google.get("thought_signature")
    return base64.b64decode(signature) if signature else SKIP_SIGNATURE


def _tool(message: dict[str, Any], where: str, names: dict[str, str]) -> tuple[str, list[Any]]:
    call_id = str(message.get("tool_call_id") or "")
    if call_id not in names:
        raise OptionsError(
            f"{where}.tool_call_id", call_id, "the id of a tool call in an earlier message"
        )
    text = text_of(message.get("content"), f"{where}.content", PROVIDER)
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    result = loaded if isinstance(loaded, dict) else {"output": text}
    function_response: dict[str, Any] = {"name": names[call_id], "response": result}
    if not call_id.startswith(SYNTHETIC_ID):
        function_response["id"] = call_id
    return "user", [{"function_response": function_response}]


_ROLES: Mapping[str, Callable[[dict[str, Any], str, dict[str, str]], tuple[str, list[Any]]]] = {
    "user": _user,
    "assistant": _assistant,
    "tool": _tool,
}


# -- response --------------------------------------------------------------------------------


def usage_of(meta: GenerateContentResponseUsageMetadata | None) -> UsageJSON:
    """OpenAI usage from Gemini's ``usage_metadata`` (its prompt count includes cached
    content, like OpenAI's; thinking tokens are output tokens)."""
    prompt = (getattr(meta, "prompt_token_count", None) or 0) + (
        getattr(meta, "tool_use_prompt_token_count", None) or 0
    )
    thoughts = getattr(meta, "thoughts_token_count", None)
    output = (getattr(meta, "candidates_token_count", None) or 0) + (thoughts or 0)
    cached = getattr(meta, "cached_content_token_count", None) or 0
    return usage(prompt, output, cached=cached, reasoning=thoughts)


def _tool_call(response_id: str, n: int, part: Part, call: FunctionCall) -> ToolCallJSON:
    # a call without a name (None) fails the ChatCompletion's validation, as it always did
    name: str = call.name  # type: ignore[assignment]
    out: ToolCallJSON = {
        "id": call.id or f"{SYNTHETIC_ID}{response_id}_{n}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(call.args or {})},
    }
    if part.thought_signature:
        signature = base64.b64encode(part.thought_signature).decode()
        out["extra_content"] = {"google": {"thought_signature": signature}}
    return out


def _split(
    response_id: str, candidate: Candidate, first: int
) -> tuple[list[str], list[ToolCallJSON]]:
    texts: list[str] = []
    calls: list[ToolCallJSON] = []
    content = candidate.content
    for part in (content.parts if content is not None else None) or ():
        if part.function_call is not None:
            calls.append(_tool_call(response_id, first + len(calls), part, part.function_call))
        elif part.text is not None and not part.thought:
            texts.append(part.text)
    return texts, calls


def response(raw: GenerateContentResponse, model: str, created: int) -> ChatCompletion:
    """A ``ChatCompletion`` from a ``GenerateContentResponse``; a prompt blocked before any
    candidate gives an empty ``content_filter`` choice."""
    response_id = raw.response_id or ""
    choices = []
    for i, candidate in enumerate(raw.candidates or ()):
        texts, calls = _split(response_id, candidate, 0)
        content = "".join(texts) if texts or not calls else None
        reason = finish_reason(candidate.finish_reason, bool(calls))
        choices.append(message_choice(candidate.index or i, content, calls, reason))
    if not choices:
        choices.append(message_choice(0, None, [], "content_filter"))
    counts = usage_of(raw.usage_metadata)
    return completion(response_id, created, raw.model_version or model, choices, counts)


# -- stream ----------------------------------------------------------------------------------


class StreamTranslator:
    """Streamed ``GenerateContentResponse``s in, ``ChatCompletionChunk``s out; ``finish()``
    gives the usage chunk (empty ``choices``) once the stream has ended."""

    def __init__(self, created: int, model: str) -> None:
        self._created, self._model = created, model
        self._id = ""
        self._started: set[int] = set()
        self._calls: dict[int, int] = {}  # candidate index -> tool calls so far
        self._usage: GenerateContentResponseUsageMetadata | None = None

    def feed(self, raw: GenerateContentResponse) -> list[ChatCompletionChunk]:
        self._id = self._id or raw.response_id or ""
        self._model = raw.model_version or self._model
        self._usage = raw.usage_metadata or self._usage
        out: list[ChatCompletionChunk] = []
        for i, candidate in enumerate(raw.candidates or ()):
            out.extend(self._candidate(candidate.index or i, candidate))
        return out

    def _candidate(self, index: int, candidate: Candidate) -> list[ChatCompletionChunk]:
        seen = self._calls.get(index, 0)
        texts, calls = _split(self._id, candidate, seen)
        delta: DeltaJSON = {}
        if index not in self._started:
            self._started.add(index)
            delta["role"] = "assistant"
        if texts:
            delta["content"] = "".join(texts)
        if calls:
            delta["tool_calls"] = [{"index": seen + n, **c} for n, c in enumerate(calls)]
            self._calls[index] = seen + len(calls)
        out = [self._chunk(index, delta)] if delta else []
        if candidate.finish_reason is not None:
            reason = finish_reason(candidate.finish_reason, index in self._calls)
            out.append(self._chunk(index, {}, reason))
        return out

    def _chunk(
        self, index: int, delta: DeltaJSON, finish: str | None = None
    ) -> ChatCompletionChunk:
        return chunk(self._id, self._created, self._model, [delta_choice(index, delta, finish)])

    def finish(self) -> list[ChatCompletionChunk]:
        return [chunk(self._id, self._created, self._model, [], usage_of(self._usage))]


# -- errors ----------------------------------------------------------------------------------


def error(exc: BaseException) -> BaseException:
    """The ``openai`` exception for a ``google-genai`` or transport one (others unchanged)."""
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        response = exc.response if isinstance(exc.response, httpx2.Response) else None
        details = exc.details if isinstance(exc.details, Mapping) else None
        return provider_status_error(
            exc.code,
            exc.message or str(exc),
            headers=response.headers if response is not None else None,
            body=details,
            url=_url_of(response),
        )
    return transport_error(exc) or exc


def _url_of(response: httpx2.Response | None) -> str:
    try:
        return str(response.request.url) if response is not None else _DEFAULT_URL
    except RuntimeError:  # a response built without its request
        return _DEFAULT_URL


_DEFAULT_URL = "https://generativelanguage.googleapis.com/"
