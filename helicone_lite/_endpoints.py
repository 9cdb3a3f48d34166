"""Every other endpoint: the one seam every ``openai`` resource method goes through.

Each resource method of an ``openai`` client (``images.generate``, ``files.create``,
``responses.retrieve``, ``models.list``, a page of a list, a raw or streaming response…) ends in
``client.request(cast_to, options, stream=…, stream_cls=…)``. ``Client.request`` (an override of
that one method) does two things for every such call:

* it removes any ``Helicone-*`` header from the request before openai builds it (so none ever
  reaches a provider) and turns them into options, as ``create`` does;
* unless the call comes from the stack's own adapter (``chat.completions.create``,
  ``responses.create``… are already logged), it runs the request through the stack as a call of
  kind ``"METHOD /path"`` (ids in the path become ``{id}``), with one target whose adapter
  sends it with openai's own ``request``: logged (endpoint, model, status, latency, tokens and
  cost when the reply carries usage), with session, user and properties applied, rate-limited
  and retried like any call.

Why there and not elsewhere: the resources are many and change with every openai release, and
an ``http_client`` transport would see bytes, after the headers are built; ``request`` is the
narrowest point above HTTP that still has the typed options and the parsed reply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import openai

from .options._parse import parse_headers
from .pipeline._call import RETRY_COUNT_HEADER, Call, Result, Target

if TYPE_CHECKING:
    from .pipeline._call import Origin

__all__ = [
    "SdkRequest",
    "asend_in_stack",
    "endpoint_kind",
    "in_stack",
    "sdk_send_options",
    "send_in_stack",
    "split_options",
]

#: set while the stack's terminal sends a call: requests made then are already logged
_IN_STACK: ContextVar[bool] = ContextVar("helicone_lite_in_stack", default=False)

_PLAIN_SEGMENT = re.compile(r"[a-z][a-z_.:]*\Z")


@contextmanager
def in_stack() -> Iterator[None]:
    """Mark requests made inside the block as the stack's own (not logged a second time)."""
    token = _IN_STACK.set(True)
    try:
        yield
    finally:
        _IN_STACK.reset(token)


#: whether the stack itself is sending (``_IN_STACK.get``: a C method, no Python frame on
#: every openai request)
inside_stack: Callable[[], bool] = _IN_STACK.get


def sdk_send_options(options: Any) -> Any:
    """``options`` for one send by the SDK: ``max_retries=0`` (the retry layer is the only
    retry loop; the client's own ``max_retries`` reads as the user gave it). The SDK copies
    the options it is given, and builds new ones per request, so they are set in place."""
    # what pydantic's ``options.max_retries = 0`` does for a plain field, without its
    # ``__setattr__`` and handler frames (every send: issue 12)
    options.__dict__["max_retries"] = 0
    options.__pydantic_fields_set__.add("max_retries")
    return options


def send_in_stack(call: Call) -> Result:
    """The stack's terminal: the adapter sends; requests it makes are not logged again (as
    :func:`in_stack`, without a context manager's generator on every call)."""
    token = _IN_STACK.set(True)
    try:
        return call.targets[call.target_index].adapter.send(call)  # (no Call.target frame)
    finally:
        _IN_STACK.reset(token)


async def asend_in_stack(call: Call) -> Result:
    """:func:`send_in_stack` of the async client."""
    token = _IN_STACK.set(True)
    try:
        return await call.targets[call.target_index].adapter.asend(call)
    finally:
        _IN_STACK.reset(token)


def endpoint_kind(method: str, url: str) -> str:
    """``"GET /responses/{id}/input_items"``: the request's method and path, ids as ``{id}``."""
    path = url.split("?", 1)[0]
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    segments = [s if _PLAIN_SEGMENT.match(s) else "{id}" for s in path.strip("/").split("/") if s]
    return f"{method.upper()} /{'/'.join(segments)}"


def split_options(options: Any) -> tuple[Any, Mapping[str, Any] | None]:
    """``(options without Helicone headers, the Helicone headers)`` of openai's request options.

    The headers are given back raw (for ``build_call`` to parse and validate).
    """
    headers = options.headers
    if not isinstance(headers, Mapping):
        return options, None
    for name in headers:  # a loop, not any(generator): no frame per header on every request
        if str(name).lower().startswith("helicone-"):
            break
    else:
        return options, None
    _, rest = parse_headers(headers)
    stripped = options.model_copy()
    stripped.headers = dict(rest or {})
    return stripped, headers


def params_of(options: Any) -> dict[str, Any]:
    """The request body (JSON) or query of a request, for the log."""
    body = options.json_data
    if isinstance(body, Mapping):
        return dict(body)
    params = options.params
    return dict(params) if isinstance(params, Mapping) else {}


class SdkRequest:
    """The adapter of an endpoint call: sends it with openai's own ``request`` on the client
    the call was made on (``call.request["sdk"]`` holds openai's arguments)."""

    provider = "openai"
    price_provider = "openai"

    def serves(self, call: Call) -> bool:
        return "sdk" in call.request

    def endpoint(self, call: Call) -> str:
        origin = _origin(call)  # only Client / AsyncClient make endpoint calls
        return (
            str(origin.base_url) if isinstance(origin, (openai.OpenAI, openai.AsyncOpenAI)) else ""
        )

    def fingerprint(self, call: Call) -> str:
        key = str(getattr(call.origin, "api_key", ""))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def send(self, call: Call) -> Result:
        cast_to, options, stream, stream_cls = call.request["sdk"]
        options = numbered_options(options, call)
        origin = _origin(call)
        if not isinstance(origin, _SyncSender):
            raise RuntimeError("helicone_lite: an SDK endpoint call sent without its client")
        return _result(options, origin._helicone_send(cast_to, options, stream, stream_cls))

    async def asend(self, call: Call) -> Result:
        cast_to, options, stream, stream_cls = call.request["sdk"]
        options = numbered_options(options, call)
        origin = _origin(call)
        if not isinstance(origin, _AsyncSender):
            raise RuntimeError("helicone_lite: an SDK endpoint call sent without its client")
        value = await origin._helicone_send(cast_to, options, stream, stream_cls)
        return _result(options, value)


def numbered_options(options: Any, call: Call) -> Any:
    """An SDK's request options of a retry (the retry layer's ``request["retries_taken"]``):
    with the ``x-stainless-retry-count`` header openai and anthropic send on their own retries
    (both SDKs keep a count the caller set)."""
    retries = call.request.get("retries_taken")
    if retries is None:
        return options
    headers = options.headers if isinstance(options.headers, Mapping) else {}
    numbered = options.model_copy()
    numbered.headers = {**headers, RETRY_COUNT_HEADER: str(retries)}
    return numbered


class _RequestOptions(Protocol):
    """What is read of openai's request options (its ``FinalRequestOptions``)."""

    method: str


@runtime_checkable
class _SyncSender(Protocol):
    """A helicone_lite client: sends one request with openai's own ``request``."""

    def _helicone_send(
        self, cast_to: type[object], options: _RequestOptions, stream: bool, stream_cls: Any
    ) -> object: ...


@runtime_checkable
class _AsyncSender(Protocol):
    """An async helicone_lite client: awaits one request with openai's own ``request``."""

    def _helicone_send(
        self, cast_to: type[object], options: _RequestOptions, stream: bool, stream_cls: Any
    ) -> Awaitable[object]: ...


def _result(options: _RequestOptions, value: object) -> Result:
    """A GET reads what was made (and priced) before: its tokens are logged, not its cost."""
    log: dict[str, Any] = {"cost_usd": None} if options.method.lower() == "get" else {}
    return Result(response=value, log=log)


def target_for(model: str, adapter: SdkRequest) -> tuple[Target, ...]:
    return (Target(provider="openai", model=model, adapter=adapter),)  # type: ignore[arg-type]


def _origin(call: Call) -> Origin:
    """The helicone_lite client the call was made on (it has ``_helicone_send``)."""
    if call.origin is None:
        raise RuntimeError("helicone_lite: an SDK endpoint call without its client")
    return call.origin
