"""What a provider adapter is: pure translation plus one SDK call, sync and async."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..pipeline._call import Call, Result

__all__ = ["Adapter", "ProviderConfig", "origin_of", "resolve_setting", "same_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, lower-cased, the scheme's default port filled in.

    >>> origin_of("HTTPS://API.groq.com/openai/v1")
    ('https', 'api.groq.com', 443)
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: no origin matches it
        return scheme, "", -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def same_origin(a: str | None, b: str | None) -> bool:
    """Whether two URLs share scheme, host and port (what a credential is scoped to).

    >>> same_origin("https://api.groq.com/openai/v1", "https://API.groq.com:443")
    True
    >>> same_origin("https://api.groq.com", "https://api.groq.com.evil.test")
    False
    """
    if not a or not b:
        return False
    left = origin_of(a)
    return bool(left[1]) and left == origin_of(b)


def resolve_setting(value: str | None, env: Sequence[str]) -> str | None:
    """``value`` if given, else the first of the environment variables ``env`` that is set."""
    if value:
        return value
    for name in env:
        found = os.environ.get(name)
        if found:
            return found
    return None


@runtime_checkable
class Adapter(Protocol):
    """Sends a :class:`Call` (OpenAI-shaped parameters) to one provider.

    ``send``/``asend`` return a :class:`Result` whose ``response`` is an OpenAI-typed object
    (``helicone_lite.ChatCompletion``…) or whose ``stream`` iterates ``ChatCompletionChunk``s;
    they raise ``openai`` exceptions on failure. ``endpoint`` and ``fingerprint`` feed the cache
    key (the fingerprint is a hash of the credentials, never the credentials); ``check`` runs
    while the call is built.
    """

    provider: str
    price_provider: str | None

    def send(self, call: Call) -> Result: ...

    async def asend(self, call: Call) -> Result: ...

    def endpoint(self, call: Call) -> str: ...

    def fingerprint(self, call: Call) -> str: ...

    def check(self, call: Call) -> None:
        """Raise ``ProviderNotConfigured`` when this target cannot be sent (no key), before
        anything is sent or logged."""
        ...


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """How to reach one provider.

    ``kind`` names the adapter (``"openai"`` for OpenAI and every OpenAI-compatible endpoint,
    ``"anthropic"``, ``"gemini"``); ``models`` are glob patterns of model names routed here;
    ``price_provider`` is the provider's id in genai-prices (``None``: guess from the model).
    ``api_key`` / ``base_url`` win over the environment variables ``api_key_env`` /
    ``base_url_env`` (the first one set is used), which win over ``default_base_url``.
    ``key_required=False`` for endpoints that take no key (Ollama, vLLM); a provider without
    ``api_key_env`` never requires one.

    >>> ProviderConfig(name="local", base_url="http://127.0.0.1:8000/v1").resolved_base_url()
    'http://127.0.0.1:8000/v1'
    """

    name: str
    kind: str = "openai"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    price_provider: str | None = None
    key_required: bool = True
    default_base_url: str | None = None

    def resolved_api_key(self) -> str | None:
        """``api_key``, else the first of ``api_key_env`` that is set."""
        return resolve_setting(self.api_key, self.api_key_env)

    def resolved_base_url(self) -> str | None:
        """``base_url``, else the first of ``base_url_env`` that is set, else the default."""
        return resolve_setting(self.base_url, self.base_url_env) or self.default_base_url
