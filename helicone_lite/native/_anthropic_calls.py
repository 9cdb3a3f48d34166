"""The native Anthropic clients' calls: how a request at the client's ``request`` seam becomes a
:class:`~helicone_lite.pipeline._call.Call` (``messages.create`` and friends, or an endpoint
call), how the SDK sends it for the stack, and how a result is delivered as the SDK's own type
(``Message``, ``Stream``, a raw or streaming response; a cache hit rebuilt as asked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import anthropic
import httpx2
import openai
from anthropic import APIResponse, AsyncAPIResponse, NotGiven, Omit
from anthropic._constants import RAW_RESPONSE_HEADER
from pydantic import BaseModel

from .._endpoints import endpoint_kind, params_of
from .._response import merge_headers
from .._streams import AsyncHeliconeStream, HeliconeStream
from ..options import Options
from ..options._parse import parse_headers
from ..pipeline._call import Call, Result
from ._base import OPTIONS_KEY, NativeAdapter, NativeHelicone
from ._sse import sse_response

if TYPE_CHECKING:
    # anthropic's request options: what its client's ``request`` seam receives (type only)
    from anthropic._models import FinalRequestOptions

    from ._anthropic import Anthropic, AsyncAnthropic

    #: either helicone_lite anthropic client
    AnyAnthropic: TypeAlias = "Anthropic | AsyncAnthropic"

__all__ = [
    "ASYNC",
    "KIND",
    "SYNC",
    "AnthropicStream",
    "AsyncAnthropicStream",
    "call_of",
    "deliver",
    "endpoint_result",
    "strip",
    "typed_options",
]

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


def call_of(
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


def typed_options(call: Call, options: FinalRequestOptions) -> FinalRequestOptions:
    """The request as this target sends it: its model and body overrides; the raw response
    asked for (so headers and the HTTP response come back with the parsed answer)."""
    sent = options.model_copy()
    if isinstance(options.json_data, Mapping):  # as the layers left it (a rendered prompt…)
        sent.json_data = {**call.params, "model": call.target.model, **call.target.body}
        sent.extra_json = None  # in call.params already
    headers = dict(options.headers) if isinstance(options.headers, Mapping) else {}
    sent.headers = {**headers, **call.target.headers, RAW_RESPONSE_HEADER: "raw"}
    return sent


def endpoint_result(options: FinalRequestOptions, value: object) -> Result:
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


SYNC = _Types(AnthropicStream, _StreamResponse, APIResponse, aiter=False)
ASYNC = _Types(AsyncAnthropicStream, _AsyncStreamResponse, AsyncAPIResponse, aiter=True)


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
