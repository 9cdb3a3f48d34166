"""The OpenAI adapter: OpenAI itself (through the user's own ``Client``) and any
OpenAI-compatible endpoint (Groq, Together, DeepSeek, OpenRouter, Ollama, vLLM, …)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import openai
from openai.resources import AsyncEmbeddings, Embeddings
from openai.resources.chat import AsyncCompletions, Completions

from .._response import ChatCompletion, CreateEmbeddingResponse
from ..pipeline._call import Call, Result
from ._base import ProviderConfig

__all__ = ["OpenAIAdapter"]

#: the header openai's ``with_raw_response`` sets to get the raw response back (the SDK keeps
#: the constant in a private module, so it is spelled out here)
RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"

# call.kind -> (sync resource, async resource, response type)
_KINDS: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any], type[Any]]] = {
    "chat.completions": (Completions, AsyncCompletions, ChatCompletion),
    "embeddings": (Embeddings, AsyncEmbeddings, CreateEmbeddingResponse),
}


class OpenAIAdapter:
    """Sends through the calling ``Client`` for provider ``openai`` (so ``with_options``,
    ``http_client`` and ``default_headers`` apply), or through an ``openai.OpenAI`` built once
    per base URL (and per event loop for async) for another OpenAI-compatible endpoint."""

    def __init__(self, config: ProviderConfig, *, use_origin: bool) -> None:
        self.provider = config.name
        self.price_provider = config.price_provider
        self._config = config
        self._use_origin = use_origin
        self._lock = threading.Lock()
        # (base URL, key) -> client; async ones per event loop (their pool belongs to it)
        self._sync: dict[tuple[str, str], openai.OpenAI] = {}
        self._async: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str], openai.AsyncOpenAI]
        ] = weakref.WeakKeyDictionary()
        # origin client -> (endpoint, key fingerprint): a client's base URL and key do not
        # change (with_options makes a copy), and the cache key needs both on every hit
        self._origin_ids: weakref.WeakKeyDictionary[Any, tuple[str, str]] = (
            weakref.WeakKeyDictionary()
        )

    # -- where to send --------------------------------------------------------------------
    def _to_origin(self, call: Call) -> bool:
        return self._use_origin and call.target.base_url is None

    def _where(self, call: Call) -> tuple[str, str]:
        base_url = call.target.base_url or self._config.resolved_base_url() or ""
        return base_url, self._config.resolved_api_key() or "not-needed"

    def _sync_client(self, call: Call) -> Any:
        if self._to_origin(call):
            return call.origin
        where = self._where(call)
        with self._lock:
            client = self._sync.get(where)
            if client is None:
                client = openai.OpenAI(base_url=where[0], api_key=where[1], max_retries=0)
                self._sync[where] = client
            return client

    def _async_client(self, call: Call) -> Any:
        if self._to_origin(call):
            return call.origin
        where = self._where(call)
        loop = asyncio.get_running_loop()
        with self._lock:
            clients = self._async.setdefault(loop, {})
            client = clients.get(where)
            if client is None:
                client = openai.AsyncOpenAI(base_url=where[0], api_key=where[1], max_retries=0)
                clients[where] = client
            return client

    def check(self, call: Call) -> None:
        """Raise :class:`ProviderNotConfigured` when a non-origin endpoint has no base URL, or
        no key while it needs one (before anything is sent)."""
        if self._use_origin:  # the user's own client (or a fallback URL)
            return
        from ._errors import ProviderNotConfigured

        cfg = self._config
        model = call.target.model
        if not (call.target.base_url or cfg.resolved_base_url()):
            raise ProviderNotConfigured(cfg.name, model, "base URL", cfg.base_url_env)
        if cfg.key_required and cfg.api_key_env and not cfg.resolved_api_key():
            raise ProviderNotConfigured(cfg.name, model, "API key", cfg.api_key_env)

    def _origin_identity(self, origin: Any) -> tuple[str, str]:
        try:
            known = self._origin_ids.get(origin)
        except TypeError:  # not weak-referenceable: compute every time
            known = None
        if known is None:
            key = str(getattr(origin, "api_key", ""))
            known = (str(origin.base_url), hashlib.sha256(key.encode()).hexdigest()[:16])
            with contextlib.suppress(TypeError):
                self._origin_ids[origin] = known
        return known

    def endpoint(self, call: Call) -> str:
        if self._to_origin(call):
            return self._origin_identity(call.origin)[0]
        return self._where(call)[0]

    def fingerprint(self, call: Call) -> str:
        if self._to_origin(call):
            return self._origin_identity(call.origin)[1]
        key = self._config.resolved_api_key() or ""
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    # -- the call -------------------------------------------------------------------------
    def _arguments(self, call: Call) -> dict[str, Any]:
        params = dict(call.params)
        params["model"] = call.target.model
        params.update(call.target.body)
        if call.kind == "chat.completions" and params.get("stream"):
            options = dict(params.get("stream_options") or {})
            options["include_usage"] = True  # so cost is known; hidden from the user if unasked
            params["stream_options"] = options
        headers = {**(call.request.get("extra_headers") or {}), **call.target.headers}
        headers[RAW_RESPONSE_HEADER] = "true"
        params["extra_headers"] = headers
        for name in ("extra_query", "extra_body", "timeout"):
            if name in call.request:
                params[name] = call.request[name]
        return params

    def send(self, call: Call) -> Result:
        sync_resource, _, response_type = _KINDS[call.kind]
        raw = sync_resource(self._sync_client(call)).create(**self._arguments(call))
        return _result(raw, response_type, call.stream)

    async def asend(self, call: Call) -> Result:
        _, async_resource, response_type = _KINDS[call.kind]
        raw = await async_resource(self._async_client(call)).create(**self._arguments(call))
        return _result(raw, response_type, call.stream)


def _result(raw: Any, response_type: type[Any], stream: bool) -> Result:
    headers = raw.headers
    if stream:
        sdk_stream = raw.parse()
        return Result(stream=sdk_stream, provider_headers=headers, http=raw.http_response)
    return Result(
        response=raw.parse(to=response_type),
        provider_headers=headers,
        http=raw.http_response,
    )
