"""The OpenAI adapter: OpenAI itself (through the user's own ``Client``) and any
OpenAI-compatible endpoint (Groq, Together, DeepSeek, OpenRouter, Ollama, vLLM, …)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

import openai
from openai._constants import RAW_RESPONSE_HEADER
from openai.resources import AsyncEmbeddings, Embeddings
from openai.resources.chat import AsyncCompletions, Completions

from .._call import Call, Result
from .._response import ChatCompletion, CreateEmbeddingResponse
from ._base import ProviderConfig

__all__ = ["OpenAIAdapter"]

# call.kind -> (sync resource, async resource, response type)
_KINDS: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any], type[Any]]] = {
    "chat.completions": (Completions, AsyncCompletions, ChatCompletion),
    "embeddings": (Embeddings, AsyncEmbeddings, CreateEmbeddingResponse),
}


class OpenAIAdapter:
    """Sends through the calling ``Client`` for provider ``openai`` (so ``with_options``,
    ``http_client`` and ``default_headers`` apply), or through an ``openai.OpenAI`` built once
    for another OpenAI-compatible endpoint."""

    def __init__(self, config: ProviderConfig, *, use_origin: bool) -> None:
        self.provider = config.name
        self.price_provider = config.price_provider
        self._config = config
        self._use_origin = use_origin
        self._lock = threading.Lock()
        self._sync: openai.OpenAI | None = None
        self._async: dict[int, openai.AsyncOpenAI] = {}

    # -- where to send --------------------------------------------------------------------
    def _sync_client(self, call: Call) -> Any:
        if self._use_origin and call.target.base_url is None:
            return call.origin
        with self._lock:
            if self._sync is None:
                self._sync = openai.OpenAI(**self._client_args(call))
            return self._sync

    def _async_client(self, call: Call) -> Any:
        if self._use_origin and call.target.base_url is None:
            return call.origin
        import asyncio

        loop = id(asyncio.get_running_loop())
        with self._lock:
            if loop not in self._async:
                self._async[loop] = openai.AsyncOpenAI(**self._client_args(call))
            return self._async[loop]

    def _client_args(self, call: Call) -> dict[str, Any]:
        from ._registry import resolve_setting

        cfg = self._config
        return {
            "api_key": resolve_setting(cfg.api_key, cfg.api_key_env) or "not-needed",
            "base_url": call.target.base_url or resolve_setting(cfg.base_url, cfg.base_url_env),
            "max_retries": 0,
        }

    def endpoint(self, call: Call) -> str:
        if call.target.base_url:
            return call.target.base_url
        if self._use_origin:
            return str(call.origin.base_url)
        from ._registry import resolve_setting

        return resolve_setting(self._config.base_url, self._config.base_url_env) or ""

    def fingerprint(self, call: Call) -> str:
        if self._use_origin and call.target.base_url is None:
            key = str(getattr(call.origin, "api_key", ""))
        else:
            from ._registry import resolve_setting

            key = resolve_setting(self._config.api_key, self._config.api_key_env) or ""
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
        return Result(stream=sdk_stream, provider_headers=headers, log={"_http": raw.http_response})
    return Result(
        response=raw.parse(to=response_type),
        provider_headers=headers,
        log={"_http": raw.http_response},
    )
