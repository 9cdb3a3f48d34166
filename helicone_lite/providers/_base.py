"""What a provider adapter is: pure translation plus one SDK call, sync and async."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .._call import Call, Result

__all__ = ["Adapter", "ProviderConfig"]


@runtime_checkable
class Adapter(Protocol):
    """Sends a :class:`Call` (OpenAI-shaped parameters) to one provider.

    ``send``/``asend`` return a :class:`Result` whose ``response`` is an OpenAI-typed object
    (``helicone_lite.ChatCompletion``…) or whose ``stream`` iterates ``ChatCompletionChunk``s;
    they raise ``openai`` exceptions on failure. ``endpoint`` and ``fingerprint`` feed the cache
    key (the fingerprint is a hash of the credentials, never the credentials).
    """

    provider: str
    price_provider: str | None

    def send(self, call: Call) -> Result: ...

    async def asend(self, call: Call) -> Result: ...

    def endpoint(self, call: Call) -> str: ...

    def fingerprint(self, call: Call) -> str: ...


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """How to reach one provider.

    ``kind`` names the adapter (``"openai"`` for OpenAI and every OpenAI-compatible endpoint,
    ``"anthropic"``, ``"gemini"``); ``models`` are glob patterns of model names routed here;
    ``price_provider`` is the provider's id in genai-prices (``None``: guess from the model).
    """

    name: str
    kind: str = "openai"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    price_provider: str | None = None
