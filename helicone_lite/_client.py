"""``Client`` and ``AsyncClient``: ``openai.OpenAI`` / ``openai.AsyncOpenAI`` with the stack.

They *are* OpenAI clients (subclasses), so every constructor argument, environment variable,
resource and ``with_options()`` works as before; ``chat.completions.create`` and
``embeddings.create`` go through the interceptor stack and are logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx2
import openai

from ._analytics import AsyncDashboardMixin, DashboardMixin
from ._client_base import HeliconeBase, replayed_response, retries_taken
from ._machinery import machinery
from ._streams import AsyncHeliconeStream, HeliconeStream

if TYPE_CHECKING:  # imported lazily: openai's chat resources cost ~50 ms to import
    from ._resources import AsyncChat, AsyncEmbeddings, Chat, Embeddings
    from ._responses import AsyncResponses, Responses
    from .options._parse import HeliconeArg
    from .pipeline._call import Call, Result

# What a client needs only to be built (options parsing, settings, the runtime and its store)
# loads with the first client; what only a call needs (the endpoints machinery, the pipeline's
# call model) with the first call: ``import helicone_lite`` stays close to openai's.

__all__ = ["AsyncClient", "Client"]


class Client(HeliconeBase, DashboardMixin, openai.OpenAI):
    """A drop-in ``openai.OpenAI`` that logs every call and understands ``Helicone-*`` options.

    Accepts every ``openai.OpenAI`` argument, plus ``helicone=`` (default options for every
    call), ``home=``/``store=`` (where the log lives), ``providers=``, ``redis_url=``,
    ``interceptors=`` and injectable ``clock``/``sleep``/``rng`` (see :class:`Settings`).

    >>> client = Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1", home="/tmp/hl-doc")
    >>> isinstance(client, openai.OpenAI)
    True
    """

    def __init__(self, **kwargs: Any) -> None:
        self._helicone_init(kwargs, "Client", super().__init__)

    @cached_property
    def chat(self) -> Chat:
        from ._resources import Chat

        return Chat(self)

    @cached_property
    def embeddings(self) -> Embeddings:
        from ._resources import Embeddings

        return Embeddings(self)

    @cached_property
    def responses(self) -> Responses:
        from ._responses import Responses

        return Responses(self)

    def request(
        self, cast_to: Any, options: Any, *, stream: bool = False, stream_cls: Any = None
    ) -> Any:
        """Every openai request: ``Helicone-*`` headers removed; logged through the stack
        unless the stack itself is sending it (see ``_endpoints.py``)."""
        hot = machinery()
        options, raw_headers = hot.split_options(options)
        if hot.inside_stack():
            # hot.sdk_send_options written out, as pydantic sets a field (no frame)
            options.__dict__["max_retries"] = 0
            options.__pydantic_fields_set__.add("max_retries")
            return super().request(cast_to, options, stream=stream, stream_cls=stream_cls)
        runtime = self._helicone_runtime
        call = self._helicone_endpoint(cast_to, options, stream, stream_cls, raw_headers)
        result = hot.run_sync(
            runtime.stack, call, lambda c: c.target.adapter.send(c), runtime.settings.sleep
        )
        return hot.deliver_parts(result)[0]

    def _helicone_send(self, cast_to: Any, options: Any, stream: bool, stream_cls: Any) -> Any:
        options = machinery().sdk_send_options(options)
        return super().request(cast_to, options, stream=stream, stream_cls=stream_cls)

    def copy(self, **kwargs: Any) -> Client:
        return super().copy(**self._helicone_copy_kwargs(kwargs))

    with_options = copy

    def close(self) -> None:
        """Close the HTTP client, as ``openai.OpenAI.close`` does; write the log and stop every
        thread and connection the client started. Closing twice is fine; a call after
        ``close()`` raises :class:`~helicone_lite.ClientClosedError`."""
        try:
            super().close()
        finally:
            self._helicone_runtime.close()

    def _helicone_value(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> object:
        """What ``create`` returns: :meth:`_helicone_call`'s value, without merging the reply
        headers of a response that does not stream until ``.headers`` is read."""
        if params.get("stream"):
            return self._helicone_call(kind, params, helicone, request)[0]
        hot = machinery()
        runtime = self._helicone_runtime  # _helicone_run, written out (a frame fewer)
        call = self._helicone_build(kind, params, helicone, request)
        result = hot.run_sync(runtime.stack, call, hot.send_in_stack, runtime.settings.sleep)
        if result.stream is not None:  # a layer answered with a stream after all
            return self._helicone_wrap(call, result)[0]
        return hot.deliver(result)

    def _helicone_call(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> tuple[object, httpx2.Headers, httpx2.Response | None, int]:
        """The value, reply headers, provider HTTP response and retries taken of a call."""
        call, result = self._helicone_run(kind, params, helicone, request)
        return (*self._helicone_wrap(call, result), retries_taken(result))

    def _helicone_run(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> tuple[Call, Result]:
        """The call built and run through the stack (as ``AsyncClient._helicone_run``)."""
        hot = machinery()
        runtime = self._helicone_runtime
        call = self._helicone_build(kind, params, helicone, request)
        return call, hot.run_sync(runtime.stack, call, hot.send_in_stack, runtime.settings.sleep)

    def _helicone_wrap(
        self, call: Call, result: Result
    ) -> tuple[object, httpx2.Headers, httpx2.Response | None]:
        hot = machinery()
        value, headers = hot.deliver_parts(result)
        http = result.http
        if result.stream is not None:
            value = HeliconeStream(
                iter(value),
                observers=result.observers,
                headers=headers,
                response=http if http is not None else replayed_response(headers),
                hide=hot.hide_usage_chunk(call),
                close=getattr(value, "close", None),
            )
        return value, headers, http


class AsyncClient(HeliconeBase, AsyncDashboardMixin, openai.AsyncOpenAI):
    """A drop-in ``openai.AsyncOpenAI``; the same options and log as :class:`Client`."""

    def __init__(self, **kwargs: Any) -> None:
        self._helicone_init(kwargs, "AsyncClient", super().__init__)

    @cached_property
    def chat(self) -> AsyncChat:
        from ._resources import AsyncChat

        return AsyncChat(self)

    @cached_property
    def embeddings(self) -> AsyncEmbeddings:
        from ._resources import AsyncEmbeddings

        return AsyncEmbeddings(self)

    @cached_property
    def responses(self) -> AsyncResponses:
        from ._responses import AsyncResponses

        return AsyncResponses(self)

    async def request(
        self, cast_to: Any, options: Any, *, stream: bool = False, stream_cls: Any = None
    ) -> Any:
        """Every openai request: see :meth:`Client.request`."""
        hot = machinery()
        options, raw_headers = hot.split_options(options)
        if hot.inside_stack():
            # hot.sdk_send_options written out, as pydantic sets a field (no frame)
            options.__dict__["max_retries"] = 0
            options.__pydantic_fields_set__.add("max_retries")
            return await super().request(cast_to, options, stream=stream, stream_cls=stream_cls)
        runtime = self._helicone_runtime
        call = self._helicone_endpoint(cast_to, options, stream, stream_cls, raw_headers)
        result = await hot.run_async(
            runtime.stack,
            call,
            lambda c: c.target.adapter.asend(c),
            runtime.settings.async_sleep,
            blocking=runtime.run_blocking,
        )
        return hot.deliver_parts(result)[0]

    async def _helicone_send(
        self, cast_to: Any, options: Any, stream: bool, stream_cls: Any
    ) -> Any:
        options = machinery().sdk_send_options(options)
        return await super().request(cast_to, options, stream=stream, stream_cls=stream_cls)

    def copy(self, **kwargs: Any) -> AsyncClient:
        return super().copy(**self._helicone_copy_kwargs(kwargs))

    with_options = copy

    async def close(self) -> None:
        """Close the HTTP client, as ``openai.AsyncOpenAI.close`` does; write the log and stop
        every thread and connection the client started, off the event loop."""
        try:
            await super().close()
        finally:
            await asyncio.to_thread(self._helicone_runtime.close)

    async def _helicone_value(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> object:
        """See :meth:`Client._helicone_value`."""
        if params.get("stream"):
            return (await self._helicone_call(kind, params, helicone, request))[0]
        call, result = await self._helicone_run(kind, params, helicone, request)
        if result.stream is not None:
            return self._helicone_wrap(call, result)[0]
        return machinery().deliver(result)

    async def _helicone_call(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> tuple[object, httpx2.Headers, httpx2.Response | None, int]:
        call, result = await self._helicone_run(kind, params, helicone, request)
        return (*self._helicone_wrap(call, result), retries_taken(result))

    async def _helicone_run(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> tuple[Call, Result]:
        hot = machinery()
        runtime = self._helicone_runtime
        call = self._helicone_build(kind, params, helicone, request)
        result = await hot.run_async(
            runtime.stack,
            call,
            hot.asend_in_stack,
            runtime.settings.async_sleep,
            blocking=runtime.run_blocking,
        )
        return call, result

    def _helicone_wrap(
        self, call: Call, result: Result
    ) -> tuple[object, httpx2.Headers, httpx2.Response | None]:
        hot = machinery()
        value, headers = hot.deliver_parts(result)
        http = result.http
        if result.stream is not None:
            value = AsyncHeliconeStream(
                value.__aiter__(),
                observers=result.observers,
                headers=headers,
                response=http if http is not None else replayed_response(headers),
                hide=hot.hide_usage_chunk(call),
                close=getattr(value, "close", None),
            )
        return value, headers, http
