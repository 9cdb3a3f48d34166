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
from functools import cached_property
from typing import TYPE_CHECKING, Any

import anthropic
from anthropic.resources.messages import AsyncMessages, Messages

from .._endpoints import numbered_options
from ..pipeline._call import Call, Result
from ..pipeline._stack import run_async, run_sync
from ._anthropic_calls import ASYNC, KIND, SYNC, call_of, deliver, endpoint_result, typed_options
from ._base import NativeHelicone, carry, split_init

if TYPE_CHECKING:
    # anthropic's request options: what its client's ``request`` seam receives (type only)
    from anthropic._models import FinalRequestOptions

    from ..options._parse import HeliconeArg

__all__ = ["KIND", "Anthropic", "AsyncAnthropic"]


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
        call = call_of(self, cast_to, options, stream, stream_cls)
        result = run_sync(
            runtime.stack, call, lambda c: c.target.adapter.send(c), runtime.settings.sleep
        )
        return self._helicone_deliver(call, result)

    def _helicone_native_send(self, call: Call) -> Result:
        cast_to, options, stream, stream_cls = call.request["sdk"]
        options.max_retries = 0  # the retry layer is the only retry loop
        options = numbered_options(options, call)
        send = super().request
        if call.kind != KIND:
            value = send(cast_to, options, stream=stream, stream_cls=stream_cls)
            return endpoint_result(options, value)
        raw = send(cast_to, typed_options(call, options), stream=stream, stream_cls=stream_cls)
        result = Result(provider_headers=raw.headers, http=raw.http_response)
        if stream:
            result.stream = raw.parse()
        else:
            result.response = raw.parse()
        return result

    def _helicone_deliver(self, call: Call, result: Result) -> Any:
        return deliver(self, call, result, SYNC)

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
        call = call_of(self, cast_to, options, stream, stream_cls)
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
        options = numbered_options(options, call)
        send = super().request
        if call.kind != KIND:
            value = await send(cast_to, options, stream=stream, stream_cls=stream_cls)
            return endpoint_result(options, value)
        sent = typed_options(call, options)
        raw = await send(cast_to, sent, stream=stream, stream_cls=stream_cls)
        result = Result(provider_headers=raw.headers, http=raw.http_response)
        if stream:
            result.stream = await raw.parse()
        else:
            result.response = await raw.parse()
        return result

    def _helicone_deliver(self, call: Call, result: Result) -> Any:
        return deliver(self, call, result, ASYNC)

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
