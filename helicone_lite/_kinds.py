"""What differs between call kinds (``chat.completions``, ``embeddings``, ``responses``, the
native clients' ``anthropic.messages`` and ``gemini.generate_content``…): the
response class a reply is parsed into, the event class of its stream, and how a finished
stream's usage, model and log body are read.

One table, looked up by ``call.kind``; the recorder, the cache and the adapters ask it instead
of branching on kinds. Types are named as ``"module:Name"`` and imported on first use, so
``import helicone_lite`` loads none of openai's resource types.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .native._shapes import (
    anthropic_complete,
    anthropic_final,
    anthropic_model,
    anthropic_prompt,
    anthropic_usage,
    anthropic_usage_of,
    gemini_complete,
    gemini_final,
    gemini_model,
    gemini_prompt,
    gemini_usage,
    gemini_usage_of,
)

if TYPE_CHECKING:
    from pydantic import BaseModel, TypeAdapter

__all__ = ["KINDS", "Kind", "kind_of", "usage_of"]


@functools.lru_cache(maxsize=32)  # every cache hit asks for its response class
def _load(name: str) -> Any:  # a class, or a union of classes (stream events)
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def usage_of(response: object) -> dict[str, int]:
    """Token counts of a typed reply, in the log's terms (``prompt_tokens`` includes cached
    input; ``completion_tokens`` includes reasoning). Reads Chat Completions / embeddings
    usage (``prompt_tokens``…) and Responses usage (``input_tokens``…); ``{}`` without one."""
    usage = getattr(response, "usage", None)
    if usage is None:
        meta = getattr(response, "usage_metadata", None)  # a Gemini reply (native client)
        return {} if meta is None else gemini_usage_of(meta)
    if getattr(type(usage), "__pydantic_fields__", None) is not None:
        # hasattr / getattr without pydantic's __getattr__ for a missing field (an
        # AttributeError raised and caught: ~1 us), and written out here, not in helpers (two
        # frames fewer on every logged call and hit): declared fields are in the model's
        # __dict__, undeclared ones a provider sent in __pydantic_extra__
        present, extra = usage.__dict__, usage.__pydantic_extra__
        anthropic = "cache_creation_input_tokens" in present or bool(
            extra and "cache_creation_input_tokens" in extra
        )
        if "input_tokens" in present:
            io = present["input_tokens"]
        else:
            io = extra.get("input_tokens") if extra else None
    else:
        anthropic = hasattr(usage, "cache_creation_input_tokens")
        io = getattr(usage, "input_tokens", None)
    if anthropic:  # an Anthropic Message (native client)
        return anthropic_usage_of(usage)
    if io is not None:
        return _io_usage(usage)
    details = getattr(usage, "prompt_tokens_details", None)
    prompt = getattr(usage, "prompt_tokens", 0) or 0
    completion = getattr(usage, "completion_tokens", 0) or 0
    out = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": getattr(usage, "total_tokens", None) or prompt + completion,
        "cached_tokens": (getattr(details, "cached_tokens", 0) or 0) if details else 0,
    }
    reasoning = getattr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens", 0)
    if reasoning:
        out["reasoning_tokens"] = reasoning
    return out


def _io_usage(usage: object) -> dict[str, int]:
    prompt = getattr(usage, "input_tokens", 0) or 0
    completion = getattr(usage, "output_tokens", 0) or 0
    inputs = getattr(usage, "input_tokens_details", None)
    outputs = getattr(usage, "output_tokens_details", None)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": getattr(usage, "total_tokens", None) or prompt + completion,
        "cached_tokens": getattr(inputs, "cached_tokens", 0) or 0,
        "cache_write_tokens": getattr(inputs, "cache_write_tokens", 0) or 0,
        "reasoning_tokens": getattr(outputs, "reasoning_tokens", 0) or 0,
    }


@dataclass(frozen=True, slots=True)
class Kind:
    """One call kind. ``response`` / ``event`` name the reply and stream-event classes
    (``"module:Name"``); ``final`` turns a finished stream into the reply it amounts to (as a
    dict for the log), ``usage`` / ``model`` read a finished stream, ``complete`` tells a
    stream that reached its end from one cut short (only complete streams are cached);
    ``prompt`` shapes a body rendered from a stored prompt (``prompts/_layer.py``)."""

    name: str
    response: str
    event: str | None
    final: Callable[[Sequence[object]], dict[str, Any]]  # the reply as JSON, for the log
    usage: Callable[[Sequence[object]], dict[str, int]]
    model: Callable[[Sequence[object]], str | None]
    complete: Callable[[Sequence[object]], bool]
    #: how a rendered prompt (OpenAI-shaped messages) becomes this kind's body; None: this
    #: kind takes no prompt templates
    prompt: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def response_type(self) -> type[BaseModel]:
        loaded: type[BaseModel] = _load(self.response)
        return loaded

    def event_list(self) -> TypeAdapter[list[Any]]:
        """A pydantic ``TypeAdapter`` for a list of this kind's stream events."""
        return _event_list(self.event or "")


@functools.lru_cache(maxsize=8)
def _event_list(name: str) -> TypeAdapter[list[Any]]:
    from pydantic import TypeAdapter

    return TypeAdapter(list[_load(name)])  # type: ignore[misc,arg-type,unused-ignore]


# -- chat completions -----------------------------------------------------------------------
def _chat_final(chunks: Sequence[Any]) -> dict[str, Any]:
    from ._assemble import assemble_chunks

    return assemble_chunks(chunks)


def _chat_usage(chunks: Sequence[object]) -> dict[str, int]:
    for chunk in reversed(chunks):
        if getattr(chunk, "usage", None) is not None:
            return usage_of(chunk)
    return {}


def _chat_model(chunks: Sequence[object]) -> str | None:
    return getattr(chunks[-1], "model", None) if chunks else None


def _chat_complete(chunks: Sequence[object]) -> bool:
    return any(
        getattr(choice, "finish_reason", None)
        for chunk in chunks
        for choice in (getattr(chunk, "choices", None) or ())
    )


# -- responses --------------------------------------------------------------------------------
_ENDS = ("response.completed", "response.incomplete", "response.failed")


def _last_response(events: Sequence[object]) -> Any:  # a Responses ``Response``
    """The response carried by the last event that carries one (``response.completed``…)."""
    for event in reversed(events):
        response = getattr(event, "response", None)
        if response is not None and hasattr(response, "output"):
            return response
    return None


def _responses_final(events: Sequence[Any]) -> dict[str, Any]:
    response = _last_response(events)
    if response is None:
        return {"object": "response", "status": "incomplete", "output": []}
    dumped: dict[str, Any] = response.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return dumped


def _responses_usage(events: Sequence[object]) -> dict[str, int]:
    response = _last_response(events)
    return usage_of(response) if response is not None else {}


def _responses_model(events: Sequence[object]) -> str | None:
    response = _last_response(events)
    return getattr(response, "model", None)


def _responses_complete(events: Sequence[object]) -> bool:
    return any(getattr(event, "type", None) == "response.completed" for event in events)


def _no_stream(_: Sequence[object]) -> dict[str, int]:
    return {}


KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        "chat.completions": Kind(
            "chat.completions",
            "helicone_lite._response:ChatCompletion",
            "openai.types.chat:ChatCompletionChunk",
            _chat_final,
            _chat_usage,
            _chat_model,
            _chat_complete,
            prompt=dict,
        ),
        "embeddings": Kind(
            "embeddings",
            "helicone_lite._response:CreateEmbeddingResponse",
            None,
            _no_stream,
            _no_stream,
            lambda _: None,
            lambda _: False,
        ),
        "responses": Kind(
            "responses",
            "helicone_lite._response:Response",
            "openai.types.responses:ResponseStreamEvent",
            _responses_final,
            _responses_usage,
            _responses_model,
            _responses_complete,
        ),
        # the native clients (helicone_lite.native): the provider's own types
        "anthropic.messages": Kind(
            "anthropic.messages",
            "anthropic.types:Message",
            "anthropic.types:RawMessageStreamEvent",
            anthropic_final,
            anthropic_usage,
            anthropic_model,
            anthropic_complete,
            prompt=anthropic_prompt,
        ),
        "gemini.generate_content": Kind(
            "gemini.generate_content",
            "google.genai.types:GenerateContentResponse",
            "google.genai.types:GenerateContentResponse",
            gemini_final,
            gemini_usage,
            gemini_model,
            gemini_complete,
            prompt=gemini_prompt,
        ),
    }
)


def kind_of(name: str) -> Kind | None:
    """The kind named ``name``, or None for an endpoint that is only logged."""
    return KINDS.get(name)
