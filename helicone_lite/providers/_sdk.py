"""What the Anthropic and Gemini adapters share: credentials, one SDK client per base URL (and
per event loop for async), the missing-key rule, error mapping and translated streams.

A provider's module supplies the SDK-specific parts (build a client, make the call, map an
error); the translation itself lives in its ``_<provider>_translate`` module.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterable, Iterator
from typing import Any

from .._errors import OptionsError
from ..pipeline._call import Call, Result, Target
from ._base import ProviderConfig, same_origin
from ._clients import SdkClients
from ._errors import ProviderNotConfigured
from .openai import OpenAIAdapter

__all__ = ["AsyncTranslatedStream", "SDKAdapter", "TranslatedStream", "origin_is_custom"]

_OPENAI_HOST = "api.openai.com"

Chunks = Callable[[Any], Iterable[Any]]


def origin_is_custom(call: Call) -> bool:
    """Whether the user's own client points somewhere other than OpenAI (a gateway,
    OpenRouter, a proxy…): such an endpoint may serve any model name. Not a client built with a
    Helicone base URL: helicone_lite stands in for that gateway (providers/_gateway.py)."""
    if getattr(call.origin, "helicone_gateway", None) is not None:
        return False
    base_url = getattr(call.origin, "base_url", None)
    host = getattr(base_url, "host", None)
    return bool(host) and host != _OPENAI_HOST


class SDKAdapter:
    """Base of the adapters that call a provider's own SDK.

    Subclasses implement ``_build``, ``_abuild``, ``_send``,
    ``_asend`` and ``_error``. Without a key, a call goes to the user's own client when that
    client has a custom base URL (the drop-in behaviour of a gateway); otherwise it raises
    :class:`ProviderNotConfigured` before anything is sent.
    """

    #: the call kinds this adapter translates
    kinds: tuple[str, ...] = ("chat.completions",)

    def __init__(self, config: ProviderConfig, *, use_origin: bool = False) -> None:
        self.provider = config.name
        self.price_provider = config.price_provider
        self._config = config
        self._clients = SdkClients(self._build, self._abuild)  # per (base URL, key)
        self._origin = OpenAIAdapter(config, use_origin=True)

    # -- configuration ------------------------------------------------------------------
    def api_key(self, call: Call | None = None) -> str | None:
        """This provider's key; for a target with a ``base_url`` of its own (a per-call
        ``Helicone-Target-Url``), only when that URL has the origin of the provider's."""
        return self._key_for(call.target.base_url if call is not None else None)

    def _key_for(self, own: str | None) -> str | None:
        if own is not None and not same_origin(own, self._config.resolved_base_url()):
            return None
        return self._config.resolved_api_key()

    def base_url(self, call: Call) -> str:
        return call.target.base_url or self._config.resolved_base_url() or ""

    def _via_origin(self, call: Call) -> bool:
        return call.target.base_url is None and self.api_key() is None and origin_is_custom(call)

    def serves(self, call: Call) -> bool:
        """Whether this adapter can send ``call``: a kind it translates, or any kind when it
        goes through the user's own OpenAI-compatible client (the gateway rule)."""
        return call.kind in self.kinds or self._via_origin(call)

    def check(self, call: Call) -> None:
        """Raise :class:`ProviderNotConfigured` if this call could not be sent (or
        :class:`OptionsError` for an endpoint this provider's adapter does not serve)."""
        if self._via_origin(call):
            return
        if call.kind not in self.kinds:
            raise OptionsError("model", call.model, f"a model that serves {call.kind}")
        if self.api_key(call) is None:
            env = self._config.api_key_env
            raise ProviderNotConfigured(self.provider, call.target.model, "API key", env)

    def endpoint(self, call: Call) -> str:
        return self._origin.endpoint(call) if self._via_origin(call) else self.base_url(call)

    def fingerprint(self, call: Call) -> str:
        if self._via_origin(call):
            return self._origin.fingerprint(call)
        return hashlib.sha256((self.api_key(call) or "").encode()).hexdigest()[:16]

    # -- SDK clients, built once -------------------------------------------------------------
    def _where(self, target: Target) -> tuple[str, str]:
        base_url = target.base_url or self._config.resolved_base_url() or ""
        return base_url, self._key_for(target.base_url) or ""

    def _client(self, call: Call) -> Any:
        return self._clients.sync_at(self._where(call.target))

    def _aclient(self, call: Call) -> Any:
        return self._clients.async_at(self._where(call.target), asyncio.get_running_loop())

    def warm(self, target: Target, origin: Any, *, asynchronous: bool) -> None:
        """Build the SDK client ``target`` is sent through, unless built already (called
        before a call's clock starts: building one took 0.4-0.5 s on first use, which is not
        the provider's latency). Nothing without a key: such a call goes through the user's
        own client, or :meth:`check` refuses it."""
        if self._key_for(target.base_url) is None:
            return
        where = self._where(target)
        self._clients.warm(where, asynchronous=asynchronous)

    # -- the call ------------------------------------------------------------------------------
    def send(self, call: Call) -> Result:
        if self._via_origin(call):
            return self._origin.send(call)
        self.check(call)
        try:
            return self._send(self._client(call), call)
        except Exception as exc:
            mapped = self._error(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    async def asend(self, call: Call) -> Result:
        if self._via_origin(call):
            return await self._origin.asend(call)
        self.check(call)
        try:
            return await self._asend(self._aclient(call), call)
        except Exception as exc:
            mapped = self._error(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    # -- supplied by each provider ------------------------------------------------------------
    def _build(self, api_key: str, base_url: str) -> Any:
        raise NotImplementedError

    def _abuild(self, api_key: str, base_url: str) -> Any:
        raise NotImplementedError

    def _send(self, client: Any, call: Call) -> Result:
        raise NotImplementedError

    async def _asend(self, client: Any, call: Call) -> Result:
        raise NotImplementedError

    def _error(self, exc: BaseException) -> BaseException:
        return exc


def request_options(call: Call) -> dict[str, Any]:
    """``extra_headers`` / ``extra_query`` / ``timeout`` of the call, for the SDK call."""
    out: dict[str, Any] = {}
    headers = {**(call.request.get("extra_headers") or {}), **call.target.headers}
    if headers:
        out["extra_headers"] = headers
    for name in ("extra_query", "timeout"):
        if name in call.request:
            out[name] = call.request[name]
    return out


def extra_body(call: Call) -> dict[str, Any]:
    """The call's ``extra_body`` and the target's body overrides (provider-native fields)."""
    return {**(call.request.get("extra_body") or {}), **call.target.body}


class TranslatedStream:
    """A provider's stream, translated chunk by chunk; SDK errors become ``openai`` ones.

    ``close()`` stops it and closes the provider's stream (releasing the connection).
    """

    def __init__(
        self,
        events: Iterator[Any],
        feed: Chunks,
        finish: Callable[[], Iterable[Any]],
        error: Callable[[BaseException], BaseException],
        close: Callable[[], Any] | None = None,
    ) -> None:
        self._events, self._feed, self._finish, self._error = events, feed, finish, error
        self._close = close
        self._chunks = self._run()

    def _run(self) -> Generator[Any, None, None]:
        try:
            for event in self._events:
                yield from self._feed(event)
        except Exception as exc:
            mapped = self._error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        yield from self._finish()

    def __iter__(self) -> Iterator[Any]:
        return self._chunks

    def __next__(self) -> Any:
        return next(self._chunks)

    def close(self) -> None:
        self._chunks.close()
        if self._close is not None:
            self._close()


class AsyncTranslatedStream:
    """The async form of :class:`TranslatedStream`."""

    def __init__(
        self,
        events: AsyncIterator[Any],
        feed: Chunks,
        finish: Callable[[], Iterable[Any]],
        error: Callable[[BaseException], BaseException],
        close: Callable[[], Any] | None = None,
    ) -> None:
        self._events, self._feed, self._finish, self._error = events, feed, finish, error
        self._close = close
        self._chunks = self._run()

    async def _run(self) -> AsyncGenerator[Any, None]:
        try:
            async for event in self._events:
                for item in self._feed(event):
                    yield item
        except Exception as exc:
            mapped = self._error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        for item in self._finish():
            yield item

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._chunks

    async def __anext__(self) -> Any:
        return await self._chunks.__anext__()

    async def close(self) -> None:
        await self._chunks.aclose()
        if self._close is not None:
            outcome = self._close()
            if hasattr(outcome, "__await__"):
                await outcome
