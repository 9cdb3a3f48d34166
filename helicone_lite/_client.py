"""``Client`` and ``AsyncClient``: ``openai.OpenAI`` / ``openai.AsyncOpenAI`` with the stack.

They *are* OpenAI clients (subclasses), so every constructor argument, environment variable,
resource and ``with_options()`` works as before; ``chat.completions.create`` and
``embeddings.create`` go through the interceptor stack and are logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from openai import DEFAULT_MAX_RETRIES

from ._analytics import AsyncDashboardMixin, DashboardMixin
from ._machinery import machinery
from ._streams import AsyncHeliconeStream, HeliconeStream

if TYPE_CHECKING:  # imported lazily: openai's chat resources cost ~50 ms to import
    from ._endpoints import SdkRequest
    from ._resources import AsyncChat, AsyncEmbeddings, Chat, Embeddings
    from ._responses import AsyncResponses, Responses
    from .options import Options
    from .options._parse import HeliconeArg
    from .pipeline._call import Call, Result
    from .pipeline._runtime import Runtime
    from .pipeline._settings import Settings
    from .prompts import PromptRegistry
    from .providers._gateway import GatewayMigration
    from .store import Store

# What a client needs only to be built (options parsing, settings, the runtime and its store)
# loads with the first client; what only a call needs (the endpoints machinery, the pipeline's
# call model) with the first call: ``import helicone_lite`` stays close to openai's.

__all__ = ["AsyncClient", "Client"]


@cache
def _endpoint_adapter() -> SdkRequest:
    """The adapter of endpoint requests: stateless, one for every client."""
    from ._endpoints import SdkRequest

    return SdkRequest()


def _split_init(
    kwargs: dict[str, Any], cls_name: str
) -> tuple[dict[str, Any], Settings | None, Runtime | None, Options, int]:
    """Separate helicone_lite's arguments from openai's; Helicone headers become defaults."""
    from .options._model import EMPTY
    from .options._parse import check_unknown_headers, parse_headers, parse_kwargs
    from .pipeline._runtime import Runtime
    from .pipeline._settings import Settings
    from .providers._catalog import merge_providers
    from .providers._gateway import migrate_gateway
    from .store import Store

    runtime: Runtime | None = kwargs.pop("_helicone_runtime", None)
    gateway: GatewayMigration | None = kwargs.pop("_helicone_gateway", None)
    inherited: Options = kwargs.pop("_helicone_defaults", None) or EMPTY
    max_retries = kwargs.pop("_helicone_max_retries", None)
    if max_retries is None:
        max_retries = kwargs.get("max_retries", DEFAULT_MAX_RETRIES)
    # ``client.max_retries`` reads as given; the retry layer is the only retry loop: every
    # send to the SDK carries ``max_retries=0`` (``_endpoints.sdk_send_options``)
    kwargs["max_retries"] = max_retries
    defaults = inherited.merge(parse_kwargs(kwargs.pop("helicone", None)))
    store = kwargs.pop("store", None)
    names = Settings.names()
    chosen = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
    settings = Settings(**chosen) if runtime is None else None
    configured = settings if settings is not None else runtime.settings  # type: ignore[union-attr]
    migrated = migrate_gateway(
        kwargs, merge_providers(configured.providers), configured.helicone_gateways
    )
    kwargs["_helicone_gateway"] = migrated or gateway
    given_headers = kwargs.get("default_headers")
    header_opts, rest = parse_headers(given_headers)
    if rest is not None:
        kwargs["default_headers"] = rest
    if migrated is not None:  # the client's upstream, chosen once: not again on every call
        header_opts = replace(
            header_opts, target_url=None, openai_api_base=None, target_provider=None
        )
    defaults = defaults.merge(header_opts)
    if store is not None and not isinstance(store, Store):
        store = Store(store)
    check_unknown_headers(given_headers, strict=configured.strict_headers)  # a typo: an error now, not per call
    if runtime is None:
        assert settings is not None
        runtime = Runtime(settings, store)
    return kwargs, settings, runtime, defaults, int(max_retries)


class _Helicone:
    """What both clients add to OpenAI's: the runtime, defaults, flush/close, features."""

    _helicone_runtime: Runtime
    _helicone_defaults: Options
    _helicone_max_retries: int
    #: set when the client was built with a Helicone base URL (see providers/_gateway.py)
    helicone_gateway: GatewayMigration | None

    def _helicone_setup(
        self,
        runtime: Runtime,
        defaults: Options,
        max_retries: int,
        gateway: GatewayMigration | None,
    ) -> None:
        self._helicone_runtime = runtime
        self._helicone_defaults = defaults
        self._helicone_max_retries = max_retries
        self.helicone_gateway = gateway

    def _helicone_copy_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        from ._copying import copy_kwargs

        return copy_kwargs(
            self._helicone_runtime,
            self._helicone_defaults,
            self._helicone_max_retries,
            kwargs,
            _helicone_gateway=self.helicone_gateway,
        )

    @property
    def helicone_defaults(self) -> Options:
        """The options applied to every call of this client (from ``helicone=`` and headers)."""
        return self._helicone_defaults

    @property
    def store(self) -> Store:
        """The request log this client writes to."""
        return self._helicone_runtime.store

    @cached_property
    def prompts(self) -> PromptRegistry:
        """The prompt registry in this client's store (see docs/prompts.md)."""
        from .prompts import PromptRegistry

        runtime = self._helicone_runtime
        return PromptRegistry(runtime.store, clock=runtime.clock)

    @property
    def user_agent(self) -> str:
        """openai's ``User-Agent``, named after the openai class this client stands for
        (``OpenAI/Python 1.2.3``, as ``openai.OpenAI`` sends), not ``Client/Python``."""
        origin = self._helicone_origin()
        name = "AsyncOpenAI" if isinstance(origin, openai.AsyncOpenAI) else "OpenAI"
        return f"{name}/Python {origin._version}"

    @property
    def configured_max_retries(self) -> int:
        """``max_retries`` as given, as ``max_retries`` (each SDK send runs with 0: the retry
        layer retries)."""
        return self._helicone_max_retries

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every logged call so far is written to the store (and, with OpenTelemetry
        export on, its span handed to the tracer provider)."""
        return self._helicone_runtime.flush(timeout)

    def _helicone_build(
        self,
        kind: str,
        params: Mapping[str, Any],
        helicone: HeliconeArg,
        request: Mapping[str, object],
    ) -> Call:
        self._helicone_runtime.check_open()
        return machinery().build_call(
            self._helicone_runtime,
            self._helicone_origin(),
            self._helicone_defaults,
            kind,
            params,
            helicone,
            request,
        )

    def _helicone_origin(self) -> openai.OpenAI | openai.AsyncOpenAI:
        """This client, as the openai client it is (the mixin's classes both are one)."""
        if not isinstance(self, (openai.OpenAI, openai.AsyncOpenAI)):
            raise TypeError(f"{type(self).__name__} is not an openai client")
        return self

    def _helicone_endpoint(
        self, cast_to: Any, options: Any, stream: bool, stream_cls: Any, raw_headers: Any
    ) -> Call:
        """The Call of an endpoint request (see ``_endpoints.py``): one target, this client."""
        from ._endpoints import endpoint_kind, params_of
        from .pipeline._call import Target
        from .pipeline._invoke import build_call

        params = params_of(options)
        request = {
            "extra_headers": raw_headers,
            "sdk": (cast_to, options, stream, stream_cls),
        }
        model = str(params.get("model") or "")
        adapter = _endpoint_adapter()
        kind = endpoint_kind(options.method, options.url)
        targets = (Target(provider="openai", model=model, adapter=adapter),)  # type: ignore[arg-type]
        return build_call(
            self._helicone_runtime,
            self._helicone_origin(),
            self._helicone_defaults,
            kind,
            params,
            None,
            request,
            targets=targets,
        )


class Client(_Helicone, DashboardMixin, openai.OpenAI):
    """A drop-in ``openai.OpenAI`` that logs every call and understands ``Helicone-*`` options.

    Accepts every ``openai.OpenAI`` argument, plus ``helicone=`` (default options for every
    call), ``home=``/``store=`` (where the log lives), ``providers=``, ``redis_url=``,
    ``interceptors=`` and injectable ``clock``/``sleep``/``rng`` (see :class:`Settings`).

    >>> client = Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1", home="/tmp/hl-doc")
    >>> isinstance(client, openai.OpenAI)
    True
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs, built, runtime, defaults, retries = _split_init(kwargs, "Client")
        assert runtime is not None
        gateway = kwargs.pop("_helicone_gateway")
        try:
            super().__init__(**kwargs)  # no key: openai's own OpenAIError, here and now
        except BaseException:
            if built is not None:
                runtime.close()
            raise
        self._helicone_setup(runtime, defaults, retries, gateway)

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
            options = hot.sdk_send_options(options)
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

    @cached_property
    def with_raw_response(self) -> Any:
        """openai's view, with this client's chat, embeddings and responses (``_views.py``)."""
        from ._views import ClientView

        return ClientView(self, super().with_raw_response, "with_raw_response")

    @cached_property
    def with_streaming_response(self) -> Any:
        from ._views import ClientView

        return ClientView(self, super().with_streaming_response, "with_streaming_response")

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
        runtime = self._helicone_runtime
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
        hot = machinery()
        runtime = self._helicone_runtime
        call = self._helicone_build(kind, params, helicone, request)
        result = hot.run_sync(runtime.stack, call, hot.send_in_stack, runtime.settings.sleep)
        return (*self._helicone_wrap(call, result), _retries_taken(result))

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
                response=http if http is not None else _replayed(headers),
                hide=hot.hide_usage_chunk(call),
                close=getattr(value, "close", None),
            )
        return value, headers, http


class AsyncClient(_Helicone, AsyncDashboardMixin, openai.AsyncOpenAI):
    """A drop-in ``openai.AsyncOpenAI``; the same options and log as :class:`Client`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs, built, runtime, defaults, retries = _split_init(kwargs, "AsyncClient")
        assert runtime is not None
        gateway = kwargs.pop("_helicone_gateway")
        try:
            super().__init__(**kwargs)  # no key: openai's own OpenAIError, here and now
        except BaseException:
            if built is not None:
                runtime.close()
            raise
        self._helicone_setup(runtime, defaults, retries, gateway)

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
            options = hot.sdk_send_options(options)
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

    @cached_property
    def with_raw_response(self) -> Any:
        """See :meth:`Client.with_raw_response`."""
        from ._views import ClientView

        return ClientView(self, super().with_raw_response, "with_raw_response")

    @cached_property
    def with_streaming_response(self) -> Any:
        from ._views import ClientView

        return ClientView(self, super().with_streaming_response, "with_streaming_response")

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
        return (*self._helicone_wrap(call, result), _retries_taken(result))

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
                response=http if http is not None else _replayed(headers),
                hide=hot.hide_usage_chunk(call),
                close=getattr(value, "close", None),
            )
        return value, headers, http


def _retries_taken(result: Result) -> int:
    """``with_raw_response``'s ``retries_taken``: provider attempts after the first (each SDK
    send runs with ``max_retries=0``; the retry layer's attempts are the retries)."""
    return max(0, sum(1 for attempt in result.attempts if not attempt.skipped) - 1)


def _replayed(headers: httpx2.Headers) -> httpx2.Response:
    """The HTTP response a replayed stream stands on (none was made): openai's stream helpers
    (``responses.stream``, ``chat.completions.stream``) close it when they are done."""
    return httpx2.Response(200, headers=headers)
