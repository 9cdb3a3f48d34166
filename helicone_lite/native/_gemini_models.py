"""``client.models`` and ``client.aio.models`` of ``helicone_lite.Gemini``: what goes through
helicone_lite's stack, and how.

* ``generate_content`` / ``generate_content_stream``: one call of kind
  ``gemini.generate_content``.
* The same with Python functions in ``tools`` (automatic function calling): the SDK's own loop
  runs, and each request it sends (a hop: the model's function call, then the answer to the
  function's result…) is its own ``gemini.generate_content`` call, with the same options: one
  row per request, with that request's tokens and cost, as Helicone shows for a proxied SDK.
* ``count_tokens`` and ``embed_content``: endpoint calls (``gemini.count_tokens``,
  ``gemini.embed_content``): logged, never cached.
* Every other method is the SDK's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, TypeVar, cast

from google.genai import types
from google.genai.models import AsyncModels, Models

from ._gemini_request import (
    COUNT_KIND,
    EMBED_KIND,
    KIND,
    Config,
    Contents,
    GenerateConfig,
    has_functions,
)

if TYPE_CHECKING:
    from ..options._parse import HeliconeArg
    from ._gemini import Gemini

__all__ = ["AsyncGeminiModels", "GeminiModels"]

T = TypeVar("T")


def _hop_contents(contents: Contents) -> Contents:
    """A hop's contents as sent: the SDK appends to its list for the next hop, after this one
    is logged."""
    return list(contents) if isinstance(contents, list) else contents


class _Hops(Models):
    """The SDK's automatic function calling loop, each of its requests through the stack."""

    def __init__(self, client: Gemini, helicone: HeliconeArg) -> None:
        super().__init__(client._api_client)
        self._helicone_client, self._helicone_options = client, helicone

    def _generate_content(
        self, *, model: str, contents: Contents, config: Config = None
    ) -> types.GenerateContentResponse:
        value: types.GenerateContentResponse = self._helicone_client._helicone_generate(
            KIND, model, _hop_contents(contents), config, self._helicone_options, stream=False
        )
        return value

    def _generate_content_stream(
        self, *, model: str, contents: Contents, config: Config = None
    ) -> Iterator[types.GenerateContentResponse]:
        stream: Iterator[types.GenerateContentResponse] = self._helicone_client._helicone_generate(
            KIND, model, _hop_contents(contents), config, self._helicone_options, stream=True
        )
        return stream


class _AsyncHops(AsyncModels):
    """:class:`_Hops` for ``client.aio.models``."""

    def __init__(self, client: Gemini, helicone: HeliconeArg) -> None:
        super().__init__(client._api_client)
        self._helicone_client, self._helicone_options = client, helicone

    async def _generate_content(
        self, *, model: str, contents: Contents, config: Config = None
    ) -> types.GenerateContentResponse:
        value: types.GenerateContentResponse = await self._helicone_client._helicone_agenerate(
            KIND, model, _hop_contents(contents), config, self._helicone_options, stream=False
        )
        return value

    # the SDK's own annotation says it answers an awaitable: it answers the iterator
    async def _generate_content_stream(  # type: ignore[override]
        self, *, model: str, contents: Contents, config: Config = None
    ) -> AsyncIterator[types.GenerateContentResponse]:
        stream: AsyncIterator[
            types.GenerateContentResponse
        ] = await self._helicone_client._helicone_agenerate(
            KIND, model, _hop_contents(contents), config, self._helicone_options, stream=True
        )
        return stream


class GeminiModels(Models):
    """``client.models``: the methods above take ``helicone=``; every other is the SDK's."""

    _helicone_client: Gemini

    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        config: GenerateConfig = None,
        helicone: HeliconeArg = None,
    ) -> types.GenerateContentResponse:
        if has_functions(config):
            hops = _Hops(self._helicone_client, helicone)
            return hops.generate_content(model=model, contents=contents, config=config)
        return self._call(types.GenerateContentResponse, KIND, model, contents, config, helicone)

    def generate_content_stream(
        self,
        *,
        model: str,
        contents: Contents,
        config: GenerateConfig = None,
        helicone: HeliconeArg = None,
    ) -> Iterator[types.GenerateContentResponse]:
        if has_functions(config):
            hops = _Hops(self._helicone_client, helicone)
            return hops.generate_content_stream(model=model, contents=contents, config=config)
        stream: Iterator[types.GenerateContentResponse] = self._helicone_client._helicone_generate(
            KIND, model, contents, config, helicone, stream=True
        )
        return stream

    def count_tokens(
        self, *, model: str, contents: Contents, config: Config = None, helicone: HeliconeArg = None
    ) -> types.CountTokensResponse:
        return self._call(types.CountTokensResponse, COUNT_KIND, model, contents, config, helicone)

    def embed_content(
        self, *, model: str, contents: Contents, config: Config = None, helicone: HeliconeArg = None
    ) -> types.EmbedContentResponse:
        return self._call(types.EmbedContentResponse, EMBED_KIND, model, contents, config, helicone)

    def _call(
        self,
        answer: type[T],  # what the SDK's method answers
        kind: str,
        model: str,
        contents: Contents,
        config: Config,
        helicone: HeliconeArg,
    ) -> T:
        value = self._helicone_client._helicone_generate(
            kind, model, contents, config, helicone, stream=False
        )
        return cast(T, value)


class AsyncGeminiModels(AsyncModels):
    """``client.aio.models``: the async form of :class:`GeminiModels`."""

    _helicone_client: Gemini

    async def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        config: GenerateConfig = None,
        helicone: HeliconeArg = None,
    ) -> types.GenerateContentResponse:
        if has_functions(config):
            hops = _AsyncHops(self._helicone_client, helicone)
            return await hops.generate_content(model=model, contents=contents, config=config)
        return await self._call(
            types.GenerateContentResponse, KIND, model, contents, config, helicone
        )

    async def generate_content_stream(
        self,
        *,
        model: str,
        contents: Contents,
        config: GenerateConfig = None,
        helicone: HeliconeArg = None,
    ) -> AsyncIterator[types.GenerateContentResponse]:
        if has_functions(config):
            hops = _AsyncHops(self._helicone_client, helicone)
            return await hops.generate_content_stream(
                model=model,
                contents=contents,
                config=config,
            )
        stream: AsyncIterator[
            types.GenerateContentResponse
        ] = await self._helicone_client._helicone_agenerate(
            KIND, model, contents, config, helicone, stream=True
        )
        return stream

    async def count_tokens(
        self, *, model: str, contents: Contents, config: Config = None, helicone: HeliconeArg = None
    ) -> types.CountTokensResponse:
        return await self._call(
            types.CountTokensResponse, COUNT_KIND, model, contents, config, helicone
        )

    async def embed_content(
        self, *, model: str, contents: Contents, config: Config = None, helicone: HeliconeArg = None
    ) -> types.EmbedContentResponse:
        return await self._call(
            types.EmbedContentResponse, EMBED_KIND, model, contents, config, helicone
        )

    async def _call(
        self,
        answer: type[T],  # what the SDK's method answers
        kind: str,
        model: str,
        contents: Contents,
        config: Config,
        helicone: HeliconeArg,
    ) -> T:
        value = await self._helicone_client._helicone_agenerate(
            kind, model, contents, config, helicone, stream=False
        )
        return cast(T, value)
