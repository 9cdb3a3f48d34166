"""``helicone_lite.Anthropic`` / ``AsyncAnthropic``: ``anthropic.Anthropic`` with the stack.

They *are* anthropic clients (subclasses): every constructor argument, environment variable,
resource, ``with_options``, raw and streaming response and exception is the SDK's own. One
seam, the client's ``request`` (every resource method ends there), does the rest:

* ``Helicone-*`` headers (from ``default_headers``, ``extra_headers`` or ``helicone=``) are
  taken out of the request before the SDK builds it, so none reaches the wire;
* ``POST /v1/messages`` (``messages.create``, ``stream=True``, ``messages.stream(...)``,
  ``messages.parse``, ``with_raw_response``…) is a call of kind ``anthropic.messages``:
  logged, cached (streams replayed as the same events), rate-limited, retried, with fallback to
  other Claude models; its answer is the SDK's own ``Message`` / ``Stream``;
* every other request (``messages.count_tokens``, ``models.list``, batches…) is logged as an
  endpoint call (``"anthropic POST /messages/count_tokens"``: endpoint, model, status,
  latency).

Helicone's reply headers (``Helicone-Cache``, ``Helicone-Id``…) are on the raw response, as the
SDK exposes headers: ``messages.with_raw_response.create(...).headers``, ``stream.response
.headers``. See docs/providers.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

import anthropic
import httpx2
import openai
from anthropic import APIResponse, AsyncAPIResponse, NotGiven, Omit
from anthropic._constants import RAW_RESPONSE_HEADER
from anthropic.resources.messages import AsyncMessages, Messages
from pydantic import BaseModel

from .._endpoints import endpoint_kind, params_of
from .._response import merge_headers
from .._streams import AsyncHeliconeStream, HeliconeStream
from ..options import Options
from ..options._parse import parse_headers
from ..pipeline._call import Call, Result
from ..pipeline._stack import run_async, run_sync
from ._base import OPTIONS_KEY, NativeAdapter, NativeHelicone, carry, split_init
from ._sse import sse_response

if TYPE_CHECKING:
    # anthropic's request options: what its client's ``request`` seam receives (type only)
    from anthropic._models import FinalRequestOptions

    from ..options._parse import HeliconeArg

    #: either helicone_lite anthropic client
    AnyAnthropic: TypeAlias = "Anthropic | AsyncAnthropic"

__all__ = ["KIND", "Anthropic", "AsyncAnthropic"]

KIND = "anthropic.messages"
_MESSAGES = "POST /messages"
_ADAPTER = NativeAdapter("anthropic", "anthropic", "anthropic")  # stateless: one for all
_UNSET = (NotGiven, Omit)  # a parameter not given (the SDK drops it when it sends)


class AnthropicStream(HeliconeStream[Any], anthropic.Stream[Any]):  # type: ignore[misc]
    """An ``anthropic.Stream`` of events, seen by the stack's observers on the way."""


class AsyncAnthropicStream(AsyncHeliconeStream[Any], anthropic.AsyncStream[Any]):  # type: ignore[misc]
    """An ``anthropic.AsyncStream`` of events, seen by the stack's observers on the way."""


class _StreamResponse(APIResponse[Any]):
    """``with_raw_response`` of a stream: ``parse()`` is the observed stream."""

    _helicone_stream: AnthropicStream

    def parse(self, *, to: Any = None) -> Any:  # anthropic's: generic in ``to``
        return self._helicone_stream


class _AsyncStreamResponse(AsyncAPIResponse[Any]):
    _helicone_stream: AsyncAnthropicStream

    async def parse(self, *, to: Any = None) -> Any:  # anthropic's: generic in ``to``
        return self._helicone_stream


# -- the request seam, shared by both clients ---------------------------------------------------
def strip(
    client: NativeHelicone, options: FinalRequestOptions
) -> tuple[FinalRequestOptions, Mapping[str, object] | None, Options | None]:
    """``(options without Helicone headers, those headers, the carried helicone= options)``."""
    headers = options.headers
    if not isinstance(headers, Mapping) or not any(
        str(name).lower().startswith("helicone-") or name == OPTIONS_KEY for name in headers
    ):
        return options, None, None
    rest = dict(headers)
    ticket = rest.pop(OPTIONS_KEY, None)
    carried = None if ticket is None else client._helicone_take(ticket)
    helicone = {k: v for k, v in rest.items() if str(k).lower().startswith("helicone-")}
    _, kept = parse_headers(rest)
    stripped = options.model_copy()
    stripped.headers = dict(kept or {})
    return stripped, helicone or None, carried


def _call(
    client: AnyAnthropic,
    cast_to: type[object],
    options: FinalRequestOptions,
    stream: bool,
    stream_cls: type[object] | None,
) -> Call:
    options, raw_headers, carried = strip(client, options)
    kind = endpoint_kind(options.method, options.url.removeprefix("/v1/"))
    params = {k: v for k, v in params_of(options).items() if not isinstance(v, _UNSET)}
    if isinstance(options.extra_json, Mapping):
        params.update(options.extra_json)
    sdk = (cast_to, options, stream, stream_cls)
    return client._helicone_native_call(
        KIND if kind == _MESSAGES else f"anthropic {kind}",
        params,
        raw_headers,
        carried,
        {"sdk": sdk},
        _ADAPTER,
    )


def _typed_options(call: Call, options: FinalRequestOptions) -> FinalRequestOptions:
    """The request as this target sends it: its model and body overrides; the raw response
    asked for (so headers and the HTTP response come back with the parsed answer)."""
    sent = options.model_copy()
    if isinstance(options.json_data, Mapping):  # as the layers left it (a rendered prompt…)
        sent.json_data = {**call.params, "model": call.target.model, **call.target.body}
        sent.extra_json = None  # in call.params already
    headers = dict(options.headers) if isinstance(options.headers, Mapping) else {}
    sent.headers = {**headers, **call.target.headers, RAW_RESPONSE_HEADER: "raw"}
    return sent


def _endpoint_result(options: FinalRequestOptions, value: object) -> Result:
    """A GET reads what was made (and priced) before: no cost."""
    return Result(response=value, log={"cost_usd": None} if options.method == "get" else {})


def _http(
    client: AnyAnthropic, result: Result, headers: httpx2.Headers, options: FinalRequestOptions
) -> httpx2.Response:
    """The provider's HTTP response with Helicone's reply headers added, or (a cache hit) one
    made up of the stored answer."""
    if result.http is not None:
        for name, value in result.headers.items():
            result.http.headers[name] = value
        return result.http
    body = b""
    if isinstance(result.response, BaseModel):
        body = result.response.model_dump_json(exclude_unset=True, by_alias=True).encode()
    headers = httpx2.Headers(headers)
    headers.setdefault("content-type", "application/json")
    request = httpx2.Request(options.method.upper(), client._prepare_url(options.url))
    return httpx2.Response(200, headers=headers, content=body, request=request)


def _mode(options: FinalRequestOptions) -> str | Omit | None:
    headers = options.headers
    return headers.get(RAW_RESPONSE_HEADER) if isinstance(headers, Mapping) else None


def _hit_value(result: Result, options: FinalRequestOptions, cast_to: type[object]) -> object:
    """A replayed answer, parsed as the SDK would have: as the type the request asked for
    (``beta.messages`` asks for ``BetaMessage``), through ``messages.parse``'s post parser."""
    value = result.response
    if result.http is not None:
        return value
    if (
        isinstance(cast_to, type)
        and issubclass(cast_to, BaseModel)
        and isinstance(value, BaseModel)
        and type(value) is not cast_to
    ):
        value = cast_to.model_validate(value.model_dump(mode="json", exclude_unset=True))
    post = options.post_parser
    return post(value) if callable(post) else value


@dataclass(frozen=True, slots=True)
class _Types:
    """The classes one client answers with (sync or async)."""

    stream: type[Any]
    streamed: type[Any]
    response: type[Any]
    aiter: bool


_SYNC = _Types(AnthropicStream, _StreamResponse, APIResponse, aiter=False)
_ASYNC = _Types(AsyncAnthropicStream, _AsyncStreamResponse, AsyncAPIResponse, aiter=True)


def deliver(client: AnyAnthropic, call: Call, result: Result, types: _Types) -> Any:
    """What the SDK would have returned for the request: the parsed answer, an observed
    ``Stream``, or (``with_raw_response``) an ``APIResponse`` carrying Helicone's headers."""
    if result.error is not None:
        error = result.error
        if isinstance(error, openai.APIStatusError):  # made by a layer (a rate limit…)
            raise client._make_status_error_from_response(error.response) from error
        raise error
    if call.kind != KIND:
        return result.response
    cast_to, options, _, stream_cls = call.request["sdk"]
    headers = merge_headers(result.provider_headers, result.headers)
    http = _http(client, result, headers, options)
    mode = _mode(options)
    # the SDK counts the retries behind a raw response; here the retry layer made them
    retries = max(len(result.attempts) - 1, 0)
    if result.stream is None:
        if not mode:
            return _hit_value(result, options, cast_to)
        return types.response(
            raw=http,
            cast_to=cast_to,
            client=client,
            stream=False,
            stream_cls=None,
            options=options,
            retries_taken=retries,
        )
    source = result.stream
    value = types.stream(
        result.achunks().__aiter__() if types.aiter else iter(result.chunks()),
        observers=result.observers,
        headers=headers,
        response=http,
        close=getattr(source, "close", None),
    )
    if not mode:
        return value
    raw = types.streamed(
        raw=sse_response(http, value, aiter=types.aiter),
        cast_to=cast_to,
        client=client,
        stream=True,
        stream_cls=stream_cls,
        options=options,
        retries_taken=retries,
    )
    raw._helicone_stream = value
    return raw


class Anthropic(NativeHelicone, anthropic.Anthropic):
    """A drop-in ``anthropic.Anthropic`` whose calls go through helicone_lite's stack.

    Accepts every ``anthropic.Anthropic`` argument plus ``helicone=``, ``home=``/``store=`` and
    the :class:`~helicone_lite.Settings` names, as :class:`helicone_lite.Client` does.
    """

    def __init__(self, **kwargs: Any) -> None:
        init = split_init(
            kwargs, default_retries=anthropic.DEFAULT_MAX_RETRIES, headers_at=_headers_at
        )
        # reads as given; every send carries max_retries=0: the retry layer is the only loop
        init.sdk["max_retries"] = init.max_retries
        try:
            super().__init__(**init.sdk)  # no key: anthropic's own error, here and now
        except BaseException:
            if init.built:
                init.runtime.close()
            raise
        self._helicone_setup(init)

    @cached_property
    def messages(self) -> Messages:
        return _Messages(self)

    def request(
        self,
        cast_to: type[object],
        options: FinalRequestOptions,
        *,
        stream: bool = False,
        stream_cls: type[object] | None = None,
    ) -> Any:  # anthropic's: the type asked for, or a stream
        """Every request of every resource: see the module docstring."""
        runtime = self._helicone_runtime
        call = _call(self, cast_to, options, stream, stream_cls)
        result = run_sync(
            runtime.stack, call, lambda c: c.target.adapter.send(c), runtime.settings.sleep
        )
        return self._helicone_deliver(call, result)

    def _helicone_native_send(self, call: Call) -> Result:
        cast_to, options, stream, stream_cls = call.request["sdk"]
        options.max_retries = 0  # the retry layer is the only retry loop
        send = super().request
        if call.kind != KIND:
            value = send(cast_to, options, stream=stream, stream_cls=stream_cls)
            return _endpoint_result(options, value)
        raw = send(cast_to, _typed_options(call, options), stream=stream, stream_cls=stream_cls)
        result = Result(provider_headers=raw.headers, http=raw.http_response)
        if stream:
            result.stream = raw.parse()
        else:
            result.response = raw.parse()
        return result

    def _helicone_deliver(self, call: Call, result: Result) -> Any:
        return deliver(self, call, result, _SYNC)

    def _helicone_endpoint(self) -> str:
        return str(self.base_url)

    def _helicone_credential(self) -> str:
        return str(self.api_key or self.auth_token or "")

    def copy(self, **kwargs: Any) -> Anthropic:
        return super().copy(**copy_kwargs(self, kwargs))

    with_options = copy

    def close(self) -> None:
        """Close the HTTP client, as ``anthropic.Anthropic.close`` does; write the log and stop
        every thread the client started."""
        try:
            super().close()
        finally:
            self._helicone_runtime.close()


class AsyncAnthropic(NativeHelicone, anthropic.AsyncAnthropic):
    """A drop-in ``anthropic.AsyncAnthropic``; the same options and log as :class:`Anthropic`."""

    def __init__(self, **kwargs: Any) -> None:
        init = split_init(
            kwargs, default_retries=anthropic.DEFAULT_MAX_RETRIES, headers_at=_headers_at
        )
        init.sdk["max_retries"] = init.max_retries
        try:
            super().__init__(**init.sdk)
        except BaseException:
            if init.built:
                init.runtime.close()
            raise
        self._helicone_setup(init)

    @cached_property
    def messages(self) -> AsyncMessages:
        return _AsyncMessages(self)

    async def request(
        self,
        cast_to: type[object],
        options: FinalRequestOptions,
        *,
        stream: bool = False,
        stream_cls: type[object] | None = None,
    ) -> Any:  # anthropic's: the type asked for, or a stream
        runtime = self._helicone_runtime
        call = _call(self, cast_to, options, stream, stream_cls)
        result = await run_async(
            runtime.stack,
            call,
            lambda c: c.target.adapter.asend(c),
            runtime.settings.async_sleep,
            blocking=runtime.run_blocking,
        )
        return self._helicone_deliver(call, result)

    async def _helicone_native_asend(self, call: Call) -> Result:
        cast_to, options, stream, stream_cls = call.request["sdk"]
        options.max_retries = 0  # the retry layer is the only retry loop
        send = super().request
        if call.kind != KIND:
            value = await send(cast_to, options, stream=stream, stream_cls=stream_cls)
            return _endpoint_result(options, value)
        sent = _typed_options(call, options)
        raw = await send(cast_to, sent, stream=stream, stream_cls=stream_cls)
        result = Result(provider_headers=raw.headers, http=raw.http_response)
        if stream:
            result.stream = await raw.parse()
        else:
            result.response = await raw.parse()
        return result

    def _helicone_deliver(self, call: Call, result: Result) -> Any:
        return deliver(self, call, result, _ASYNC)

    def _helicone_endpoint(self) -> str:
        return str(self.base_url)

    def _helicone_credential(self) -> str:
        return str(self.api_key or self.auth_token or "")

    def copy(self, **kwargs: Any) -> AsyncAnthropic:
        return super().copy(**copy_kwargs(self, kwargs))

    with_options = copy

    async def close(self) -> None:
        """Close the HTTP client; write the log and stop every thread, off the event loop."""
        try:
            await super().close()
        finally:
            await asyncio.to_thread(self._helicone_runtime.close)


# -- helicone= on the resource methods ----------------------------------------------------------
class _Messages(Messages):
    """``client.messages``: ``create``, ``stream``, ``parse`` and ``count_tokens`` also take
    ``helicone=`` (the same options as the ``Helicone-*`` headers)."""

    _client: Anthropic

    def create(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return super().create(**carry(self._client, kwargs, helicone))

    def stream(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return super().stream(**carry(self._client, kwargs, helicone))

    def parse(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return super().parse(**carry(self._client, kwargs, helicone))

    def count_tokens(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return super().count_tokens(**carry(self._client, kwargs, helicone))


class _AsyncMessages(AsyncMessages):
    _client: AsyncAnthropic

    async def create(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return await super().create(**carry(self._client, kwargs, helicone))

    def stream(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return super().stream(**carry(self._client, kwargs, helicone))

    async def parse(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return await super().parse(**carry(self._client, kwargs, helicone))

    async def count_tokens(self, *, helicone: HeliconeArg = None, **kwargs: Any) -> Any:
        return await super().count_tokens(**carry(self._client, kwargs, helicone))


def _headers_at(
    kwargs: dict[str, Any],
) -> tuple[Mapping[str, object] | None, Callable[[dict[str, object]], None]]:
    def put_back(rest: dict[str, object]) -> None:
        kwargs["default_headers"] = rest

    return kwargs.get("default_headers"), put_back


def copy_kwargs(client: NativeHelicone, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``copy``/``with_options`` arguments: the same runtime and defaults (plus ``helicone=``),
    ``max_retries`` kept for the retry layer (helicone_lite/_copying.py)."""
    from .._copying import copy_kwargs as shared

    return shared(
        client._helicone_runtime, client._helicone_defaults, client._helicone_max_retries, kwargs
    )
