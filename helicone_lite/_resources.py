"""The resources whose calls go through the stack: chat completions and embeddings.

They subclass ``openai``'s own resources, so every other method (``retrieve``, ``list``,
``messages``…) and ``isinstance`` checks keep working; only ``create`` is routed through
helicone_lite. ``helicone=`` takes the keyword options (a dict or :class:`Options`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from openai import omit
from openai.resources import chat as _chat
from openai.resources import embeddings as _embeddings
from openai.types.chat import ChatCompletionChunk

from ._raw import RawResponse
from ._response import ChatCompletion, CreateEmbeddingResponse
from ._streamed import AsyncStreamedResponse, StreamedResponse, async_streamed, streamed
from ._streams import AsyncHeliconeStream, HeliconeStream
from .options import Options

if TYPE_CHECKING:
    from openai.types.chat import ParsedChatCompletion

    from ._client import AsyncClient, Client
    from .options._parse import HeliconeArg

__all__ = ["AsyncChat", "AsyncEmbeddings", "Chat", "Embeddings"]

#: a ``parse`` request as ``create`` parameters, and the parser of the answer (``parse``'s
#: preparation: ``prepare_chat_parse``, ``_responses.prepare_parse``)
Prepare = Callable[[dict[str, Any], dict[str, object]], tuple[dict[str, Any], Callable[[Any], Any]]]

_REQUEST = ("extra_headers", "extra_query", "extra_body", "timeout")
# Endpoints whose event streams end with ``data: [DONE]`` (the Responses API's do not).
_DONE_MARKER = {"chat.completions": True}


def _split(
    kwargs: dict[str, Any],
) -> tuple[dict[str, Any], HeliconeArg, dict[str, object]]:
    """``(params, helicone=, request options)`` of a ``create`` call's keyword arguments."""
    helicone: HeliconeArg = kwargs.pop("helicone", None)
    request: dict[str, object] = {}
    for name in _REQUEST:  # a loop, not a comprehension: one frame fewer a call
        if name in kwargs:
            request[name] = kwargs.pop(name)
    return kwargs, helicone, request


class Completions(_chat.Completions):
    """``client.chat.completions``: ``create`` goes through the interceptor stack."""

    _client: Client

    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        def create(
            self,
            *,
            stream: Literal[True],
            helicone: Options | Mapping[str, Any] | None = None,
            **params: Any,
        ) -> HeliconeStream[ChatCompletionChunk]: ...
        @overload
        def create(
            self,
            *,
            stream: Literal[False] | None = None,
            helicone: Options | Mapping[str, Any] | None = None,
            **params: Any,
        ) -> ChatCompletion: ...
        @overload
        def create(
            self,
            *,
            stream: bool,
            helicone: Options | Mapping[str, Any] | None = None,
            **params: Any,
        ) -> ChatCompletion | HeliconeStream[ChatCompletionChunk]: ...

    def create(self, **kwargs: Any) -> object:
        params, helicone, request = _split(kwargs)
        return self._client._helicone_value("chat.completions", params, helicone, request)

    def parse(self, **kwargs: Any) -> ParsedChatCompletion[Any]:  # openai: generic in the format
        """Structured output through the stack; the answer parsed as openai's ``parse`` does."""
        params, helicone, request = _split(kwargs)
        params, parser = prepare_chat_parse(params, request)
        return parser(self._client._helicone_value("chat.completions", params, helicone, request))

    @cached_property
    def with_raw_response(self) -> Any:
        return _RawCreate(
            self._client, "chat.completions", super().with_raw_response, _prepare_chat
        )

    @cached_property
    def with_streaming_response(self) -> Any:
        return _StreamingCreate(
            self._client, "chat.completions", super().with_streaming_response, _prepare_chat
        )


class AsyncCompletions(_chat.AsyncCompletions):
    """``client.chat.completions`` of the async client."""

    _client: AsyncClient

    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        async def create(
            self,
            *,
            stream: Literal[True],
            helicone: Options | Mapping[str, Any] | None = None,
            **params: Any,
        ) -> AsyncHeliconeStream[ChatCompletionChunk]: ...
        @overload
        async def create(
            self,
            *,
            stream: Literal[False] | None = None,
            helicone: Options | Mapping[str, Any] | None = None,
            **params: Any,
        ) -> ChatCompletion: ...
        @overload
        async def create(
            self,
            *,
            stream: bool,
            helicone: Options | Mapping[str, Any] | None = None,
            **params: Any,
        ) -> ChatCompletion | AsyncHeliconeStream[ChatCompletionChunk]: ...

    async def create(self, **kwargs: Any) -> object:
        params, helicone, request = _split(kwargs)
        return await self._client._helicone_value("chat.completions", params, helicone, request)

    async def parse(
        self, **kwargs: Any
    ) -> ParsedChatCompletion[Any]:  # openai: generic in the format
        params, helicone, request = _split(kwargs)
        params, parser = prepare_chat_parse(params, request)
        call = self._client._helicone_call("chat.completions", params, helicone, request)
        return parser((await call)[0])

    @cached_property
    def with_raw_response(self) -> Any:
        return _AsyncRawCreate(
            self._client, "chat.completions", super().with_raw_response, _prepare_chat
        )

    @cached_property
    def with_streaming_response(self) -> Any:
        return _AsyncStreamingCreate(
            self._client, "chat.completions", super().with_streaming_response, _prepare_chat
        )


def prepare_chat_parse(
    params: dict[str, Any], request: dict[str, object]
) -> tuple[dict[str, Any], Callable[[object], ParsedChatCompletion[object]]]:
    """openai's ``chat.completions.parse`` request as ``create`` parameters (``response_format``
    a pydantic model becomes its JSON schema; tools checked as strict; ``"stream": false`` and
    the ``X-Stainless-Helper-Method`` header in ``request``, as openai sends them) and the
    parser of its answer into a ``ParsedChatCompletion`` (run again on a cache hit)."""
    from openai.lib._parsing import (
        parse_chat_completion,
        type_to_response_format_param,
        validate_input_tools,
    )

    given = request.get("extra_headers")
    request["extra_headers"] = {
        "X-Stainless-Helper-Method": "chat.completions.parse",
        **(given if isinstance(given, Mapping) else {}),
    }
    params["stream"] = False
    response_format = params.get("response_format", omit)
    tools = validate_input_tools(params.get("tools", omit))
    if tools is not omit:
        params["tools"] = tools
    if response_format is not omit:
        params["response_format"] = type_to_response_format_param(response_format)

    def parser(completion: object) -> ParsedChatCompletion[object]:
        # a non-streamed chat call is answered with a ChatCompletion (a cache hit re-validated)
        return parse_chat_completion(
            response_format=response_format,
            chat_completion=cast(ChatCompletion, completion),
            input_tools=tools,
        )

    return params, parser


def _prepare_chat(
    params: dict[str, Any], request: dict[str, object]
) -> tuple[dict[str, Any], Callable[[Any], Any]]:
    return prepare_chat_parse(params, request)


class Chat(_chat.Chat):
    @cached_property
    def completions(self) -> Completions:
        return Completions(self._client)


class AsyncChat(_chat.AsyncChat):
    @cached_property
    def completions(self) -> AsyncCompletions:
        return AsyncCompletions(self._client)


class Embeddings(_embeddings.Embeddings):
    """``client.embeddings``: ``create`` is logged (and cacheable) like a chat call."""

    _client: Client

    def create(self, **kwargs: Any) -> CreateEmbeddingResponse:
        params, helicone, request = _split(kwargs)
        # the stack answers an embeddings call with openai's model (a cache hit is re-validated)
        return cast(
            CreateEmbeddingResponse,
            self._client._helicone_value("embeddings", params, helicone, request),
        )

    @cached_property
    def with_raw_response(self) -> Any:
        return _RawCreate(self._client, "embeddings", super().with_raw_response)

    @cached_property
    def with_streaming_response(self) -> Any:
        return _StreamingCreate(self._client, "embeddings", super().with_streaming_response)


class AsyncEmbeddings(_embeddings.AsyncEmbeddings):
    _client: AsyncClient

    async def create(self, **kwargs: Any) -> CreateEmbeddingResponse:
        params, helicone, request = _split(kwargs)
        value = (await self._client._helicone_call("embeddings", params, helicone, request))[0]
        return cast(CreateEmbeddingResponse, value)  # as in Embeddings.create

    @cached_property
    def with_raw_response(self) -> Any:
        return _AsyncRawCreate(self._client, "embeddings", super().with_raw_response)

    @cached_property
    def with_streaming_response(self) -> Any:
        return _AsyncStreamingCreate(self._client, "embeddings", super().with_streaming_response)


class _RawCreate:
    """``with_raw_response``: ``create`` through the stack; any other method is openai's own
    wrapper's (``retrieve``, ``list``… are logged as endpoint calls)."""

    def __init__(
        self, client: Client, kind: str, sdk: Any = None, prepare: Prepare | None = None
    ) -> None:
        self._client, self._kind, self._sdk, self._prepare = client, kind, sdk, prepare

    def __getattr__(self, name: str) -> Any:
        if self._sdk is None:
            raise AttributeError(name)
        return getattr(self._sdk, name)

    def create(self, **kwargs: Any) -> RawResponse[object]:
        params, helicone, request = _split(kwargs)
        return RawResponse(*self._client._helicone_call(self._kind, params, helicone, request))

    def parse(self, **kwargs: Any) -> Any:
        """``parse`` through the stack, as the resource's own ``parse`` (openai's wrapper's
        where the resource has none of its own)."""
        if self._prepare is None:
            return self._sdk.parse(**kwargs)
        return self._parse(kwargs)

    def _parse(self, kwargs: dict[str, Any]) -> RawResponse[object]:
        assert self._prepare is not None
        params, helicone, request = _split(kwargs)
        params, parser = self._prepare(params, request)
        value, headers, http, retries = self._client._helicone_call(
            self._kind, params, helicone, request
        )
        return RawResponse(parser(value), headers, http, retries)


class _StreamingCreate(_RawCreate):
    """``with_streaming_response``: a context manager over openai's ``APIResponse`` shape."""

    def create(  # type: ignore[override]
        self, **kwargs: Any
    ) -> AbstractContextManager[StreamedResponse[object]]:
        return streamed(super().create(**kwargs), _DONE_MARKER.get(self._kind, False))

    def _parse(self, kwargs: dict[str, Any]) -> Any:
        return streamed(super()._parse(kwargs), False)  # a parsed answer never streams


class _AsyncRawCreate:
    def __init__(
        self,
        client: AsyncClient,
        kind: str,
        sdk: Any = None,
        prepare: Prepare | None = None,
    ) -> None:
        self._client, self._kind, self._sdk, self._prepare = client, kind, sdk, prepare

    def __getattr__(self, name: str) -> Any:
        if self._sdk is None:
            raise AttributeError(name)
        return getattr(self._sdk, name)

    async def create(self, **kwargs: Any) -> RawResponse[object]:
        params, helicone, request = _split(kwargs)
        return RawResponse(
            *(await self._client._helicone_call(self._kind, params, helicone, request))
        )

    def parse(self, **kwargs: Any) -> Any:
        """See :meth:`_RawCreate.parse` (a coroutine; a context manager when streaming)."""
        if self._prepare is None:
            return self._sdk.parse(**kwargs)
        return self._parse(kwargs)

    async def _parse(self, kwargs: dict[str, Any]) -> RawResponse[object]:
        assert self._prepare is not None
        params, helicone, request = _split(kwargs)
        params, parser = self._prepare(params, request)
        call = self._client._helicone_call(self._kind, params, helicone, request)
        value, headers, http, retries = await call
        return RawResponse(parser(value), headers, http, retries)


class _AsyncStreamingCreate(_AsyncRawCreate):
    def create(  # type: ignore[override]
        self, **kwargs: Any
    ) -> AbstractAsyncContextManager[AsyncStreamedResponse[object]]:
        return _deferred(super().create(**kwargs), _DONE_MARKER.get(self._kind, False))

    def _parse(self, kwargs: dict[str, Any]) -> Any:
        return _deferred(super()._parse(kwargs), False)  # a parsed answer never streams


def _deferred(
    coro: Awaitable[RawResponse[object]], done_marker: bool
) -> AbstractAsyncContextManager[AsyncStreamedResponse[object]]:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def manager() -> AsyncIterator[AsyncStreamedResponse[object]]:
        raw = await coro
        async with async_streamed(raw, done_marker) as inner:
            yield inner

    return manager()
