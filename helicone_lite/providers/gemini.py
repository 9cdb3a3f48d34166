"""The Gemini adapter: OpenAI-shaped calls through ``google-genai``'s ``generate_content``.

Translation is in ``_gemini_translate``; this module builds one ``genai.Client`` per base URL
(and per event loop for async), with the SDK's retries off, and keeps a reference to it (a
``genai.Client`` closes itself when garbage-collected). Imported on first use of a Gemini
model, so ``import helicone_lite`` does not import ``google.genai``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import httpx2
from google import genai
from google.genai import types

from .._errors import OptionsError
from ..pipeline._call import Call, Result
from . import _gemini_translate as translate
from ._sdk import AsyncTranslatedStream, SDKAdapter, TranslatedStream, extra_body, request_options
from ._translate import unsupported

T = TypeVar("T")

__all__ = ["GeminiAdapter", "achain", "chain"]


class GeminiAdapter(SDKAdapter):
    """Gemini models via the Gemini Developer API (``genai.Client(vertexai=False)``)."""

    def _build(self, api_key: str, base_url: str) -> genai.Client:
        options = types.HttpOptions(
            base_url=base_url,
            retry_options=types.HttpRetryOptions(attempts=1),  # the retry layer retries
        )
        return genai.Client(api_key=api_key, vertexai=False, http_options=options)

    def _abuild(self, api_key: str, base_url: str) -> genai.Client:
        return self._build(api_key, base_url)

    def _error(self, exc: BaseException) -> BaseException:
        return translate.error(exc)

    def _arguments(self, call: Call) -> dict[str, Any]:
        contents, config = translate.request(call.params)
        options = request_options(call)
        http: dict[str, Any] = {}
        if options.get("extra_headers"):
            http["headers"] = options["extra_headers"]
        if "extra_query" in options:
            raise unsupported("extra_query", options["extra_query"], "gemini")
        timeout = options.get("timeout")
        if timeout is not None:
            if not isinstance(timeout, (int, float)):
                raise OptionsError("timeout", timeout, "seconds as a number for gemini")
            http["timeout"] = int(timeout * 1000)  # google-genai takes milliseconds
        extra = extra_body(call)
        if extra:
            http["extra_body"] = extra
        if http:
            config["http_options"] = http
        return {"model": call.target.model, "contents": contents, "config": config}

    def _send(self, client: genai.Client, call: Call) -> Result:
        created = int(call.started_wall)
        if not call.stream:
            raw = client.models.generate_content(**self._arguments(call))
            response = translate.response(raw, call.target.model, created)
            return Result(response=response, provider_headers=_headers(raw))
        events = client.models.generate_content_stream(**self._arguments(call))
        first = next(events)  # the request is sent here: errors surface before the stream
        translator = translate.StreamTranslator(created, call.target.model)
        stream = TranslatedStream(
            chain(first, events),
            translator.feed,
            translator.finish,
            translate.error,
            getattr(events, "close", None),
        )
        return Result(stream=stream, provider_headers=_headers(first))

    async def _asend(self, client: genai.Client, call: Call) -> Result:
        created = int(call.started_wall)
        if not call.stream:
            raw = await client.aio.models.generate_content(**self._arguments(call))
            response = translate.response(raw, call.target.model, created)
            return Result(response=response, provider_headers=_headers(raw))
        events = await client.aio.models.generate_content_stream(**self._arguments(call))
        first = await events.__anext__()
        translator = translate.StreamTranslator(created, call.target.model)
        stream = AsyncTranslatedStream(
            achain(first, events),
            translator.feed,
            translator.finish,
            translate.error,
            getattr(events, "aclose", None),
        )
        return Result(stream=stream, provider_headers=_headers(first))


def _headers(raw: Any) -> httpx2.Headers | None:
    http = getattr(raw, "sdk_http_response", None)
    headers = getattr(http, "headers", None)
    return httpx2.Headers(headers) if headers else None


def chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    """``first``, then ``rest``: a stream whose first chunk was read to see the headers
    (also the native client's, native/_gemini.py)."""
    yield first
    yield from rest


async def achain(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    """:func:`chain` of an async stream."""
    yield first
    async for item in rest:
        yield item
