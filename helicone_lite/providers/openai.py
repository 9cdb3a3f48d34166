"""The OpenAI adapter: OpenAI itself (through the user's own ``Client``) and any
OpenAI-compatible endpoint (Groq, Together, DeepSeek, OpenRouter, Ollama, vLLM, …)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

import openai
from openai.resources import AsyncEmbeddings, Embeddings
from openai.resources.chat import AsyncCompletions, Completions
from openai.resources.responses import AsyncResponses, Responses

from .._response import ChatCompletion, CreateEmbeddingResponse, Response
from ..pipeline._call import RETRY_COUNT_HEADER, Call, Result, Target
from ._base import ProviderConfig, same_origin
from ._clients import SdkClients
from ._errors import ProviderNotConfigured

__all__ = ["CREDENTIAL_HEADERS", "OpenAIAdapter"]

#: request headers that carry a credential: never forwarded to a ``base_url`` target that did
#: not configure them itself (lower case).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "api-key", "x-api-key", "x-goog-api-key", "proxy-authorization", "cookie"}
)
_NO_KEY = "no-credential"  # what an SDK client for a keyless target is built with (never sent)

#: the header openai's ``with_raw_response`` sets to get the raw response back (the SDK keeps
#: the constant in a private module, so it is spelled out here)
RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"

# call.kind -> (the client's resource, openai's sync create, openai's async create, response
# type). The create is openai's own function, called on the resource the client already has
# (``client.chat.completions``: cached by openai, a helicone_lite subclass on our clients whose
# ``create`` goes through the stack, which is why openai's is called unbound): no resource
# built per call (issue 12: one object and seven bound methods fewer on every send).
_KINDS: Mapping[
    str, tuple[Callable[[Any], Any], Callable[..., Any], Callable[..., Any], type[Any]]
] = {
    "chat.completions": (
        attrgetter("chat.completions"),
        Completions.create,
        AsyncCompletions.create,
        ChatCompletion,
    ),
    "embeddings": (
        attrgetter("embeddings"),
        Embeddings.create,
        AsyncEmbeddings.create,
        CreateEmbeddingResponse,
    ),
    "responses": (attrgetter("responses"), Responses.create, AsyncResponses.create, Response),
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
        #: serves() and check() read only the call's kind and target and the origin client's
        #: own key and gateway (fixed when the openai SDK built it), never the environment:
        #: the registry remembers a pass (ProviderRegistry.check)
        self.fixed_check = use_origin
        self._clients = SdkClients(self._build, self._abuild)  # per (base URL, key)
        # origin client -> (endpoint, key fingerprint): a client's base URL and key do not
        # change (with_options makes a copy), and the cache key needs both on every hit
        self._origin_ids: weakref.WeakKeyDictionary[Any, tuple[str, str]] = (
            weakref.WeakKeyDictionary()
        )

    # -- where to send --------------------------------------------------------------------
    def _to_origin(self, target: Target) -> bool:
        """Whether ``target`` is sent through the user's own client (no URL of its own)."""
        return self._use_origin and target.base_url is None

    def _where(self, call: Call) -> tuple[str, str]:
        return self._where_of(call.target, call.origin)

    def _where_of(self, target: Target, origin: Any) -> tuple[str, str]:
        base_url = target.base_url or self._config.resolved_base_url() or ""
        return base_url, self._key_for(target.base_url, origin) or _NO_KEY

    def _api_key(self, call: Call) -> str | None:
        return self._key_for(call.target.base_url, call.origin)

    def _key_for(self, own: str | None, origin: Any) -> str | None:
        """The provider's key, only for the origin it was configured for: a target with a
        ``base_url`` of its own (``own``: a fallback URL, a per-call ``Helicone-Target-Url``)
        gets this provider's key only when it has the origin of this provider's base URL, the
        client's own key only when it has the client's origin, else no key but what its own
        ``headers`` carry (the environment's ``OPENAI_API_KEY`` must not reach an arbitrary
        URL)."""
        if own is None:
            return self._config.resolved_api_key()
        if same_origin(own, self._config.resolved_base_url()):
            return self._config.resolved_api_key()
        if (
            self._use_origin
            and isinstance(origin, (openai.OpenAI, openai.AsyncOpenAI))
            and same_origin(own, str(origin.base_url))
        ):
            return str(origin.api_key or "") or None
        return None

    def warm(self, target: Target, origin: Any, *, asynchronous: bool) -> None:
        """Build the SDK client ``target`` is sent through, unless built already (called
        before a call's clock starts: building one is not the provider's latency). Nothing for
        the user's own client, or a target :meth:`check` refuses."""
        if self._to_origin(target):
            return
        where = self._where_of(target, origin)
        if not where[0]:
            return
        self._clients.warm(where, asynchronous=asynchronous)

    def _build(self, api_key: str, base_url: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    def _abuild(self, api_key: str, base_url: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    def serves(self, call: Call) -> bool:
        """Whether this adapter can send ``call`` (every kind an OpenAI client sends)."""
        return call.kind in _KINDS

    def check(self, call: Call) -> None:
        """Raise :class:`ProviderNotConfigured` when a non-origin endpoint has no base URL, or
        no key while it needs one (before anything is sent)."""
        if self._use_origin:  # the user's own client (or a fallback URL)
            gateway = getattr(call.origin, "helicone_gateway", None)
            if (
                self._to_origin(call.target)
                and gateway is not None
                and not getattr(call.origin, "api_key", "")
            ):
                # built with a Helicone base URL and no provider key: the Helicone key is
                # never sent, so say which variable is missing (providers/_gateway.py)
                raise ProviderNotConfigured(
                    gateway.provider, call.target.model, "API key", gateway.key_env
                )
            return

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

    def key_identity(self, call: Call) -> tuple[str, str]:
        """``(endpoint(call), fingerprint(call))`` in one call: the cache key reads both on
        every hit (cache/_key.py), and through the user's own client both are remembered."""
        if self._to_origin(call.targets[call.target_index]):
            return self._origin_identity(call.origin)
        return self.endpoint(call), self.fingerprint(call)

    def endpoint(self, call: Call) -> str:
        if self._to_origin(call.target):
            return self._origin_identity(call.origin)[0]
        return self._where(call)[0]

    def fingerprint(self, call: Call) -> str:
        if self._to_origin(call.target):
            return self._origin_identity(call.origin)[1]
        key = self._api_key(call) or str(sorted(call.target.headers.items()))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    # -- the call -------------------------------------------------------------------------
    def _arguments(self, call: Call, target: Target, to_origin: bool) -> dict[str, Any]:
        """The SDK's ``create`` arguments (``target``: ``call.target``; ``to_origin``:
        ``_to_origin(target)``, both read once by the caller)."""
        params = dict(call.params)
        params["model"] = target.model
        params.update(target.body)
        if call.kind == "chat.completions" and params.get("stream"):
            options = dict(params.get("stream_options") or {})
            options["include_usage"] = True  # so cost is known; hidden from the user if unasked
            params["stream_options"] = options
        headers = {**(call.request.get("extra_headers") or {}), **target.headers}
        if not to_origin and self._api_key(call) is None:
            headers = _without_foreign_credentials(headers, target.headers)
        headers[RAW_RESPONSE_HEADER] = "true"
        if "retries_taken" in call.request:  # as openai numbers its own retries
            headers[RETRY_COUNT_HEADER] = str(call.request["retries_taken"])
        params["extra_headers"] = headers
        for name in ("extra_query", "extra_body", "timeout"):
            if name in call.request:
                params[name] = call.request[name]
        return params

    def send(self, call: Call) -> Result:
        resource, create, _, response_type = _KINDS[call.kind]
        target = call.targets[call.target_index]
        to_origin = self._to_origin(target)
        client = call.origin if to_origin else self._clients.sync_at(self._where(call))
        raw = create(resource(client), **self._arguments(call, target, to_origin))
        return _result(raw, response_type, call.stream)

    async def asend(self, call: Call) -> Result:
        resource, _, create, response_type = _KINDS[call.kind]
        target = call.targets[call.target_index]
        to_origin = self._to_origin(target)
        client = (
            call.origin
            if to_origin
            else self._clients.async_at(self._where(call), asyncio.get_running_loop())
        )
        raw = await create(resource(client), **self._arguments(call, target, to_origin))
        return _result(raw, response_type, call.stream)


def _without_foreign_credentials(
    headers: Mapping[str, Any], own: Mapping[str, str]
) -> dict[str, Any]:
    """``headers`` minus credentials the target did not configure itself; ``Authorization``
    is omitted (not the SDK client's placeholder key) unless the target set one."""
    mine = {name.lower() for name in own}
    kept = {
        name: value
        for name, value in headers.items()
        if name.lower() not in CREDENTIAL_HEADERS or name.lower() in mine
    }
    if "authorization" not in mine:
        kept["Authorization"] = openai.omit
    return kept


def _result(raw: Any, response_type: type[Any], stream: bool) -> Result:
    headers = raw.headers
    if stream:
        sdk_stream = raw.parse()
        return Result(stream=sdk_stream, provider_headers=headers, http=raw.http_response)
    response = raw.parse(to=response_type)
    http = raw.http_response
    return Result(
        response=response, provider_headers=headers, http=http, wire=(response, http.content)
    )
