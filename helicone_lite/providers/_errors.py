"""Provider errors as the ``openai`` exceptions users already catch, and the missing-key error.

An Anthropic or Gemini failure becomes the ``openai`` exception class for its status
(``RateLimitError`` for 429, ``InternalServerError`` for 5xx…), around a response that keeps
the provider's status and headers (``Retry-After``, ``retry-after-ms``), so the retry and
fallback layers and the user's ``except`` blocks treat every provider alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx2
import openai

from .._errors import HeliconeLiteError, status_error

__all__ = [
    "ProviderNotConfigured",
    "connection_error",
    "provider_status_error",
    "transport_error",
]

# A synthetic response carries the provider's headers but our own JSON body: headers that
# describe the original body's encoding would make httpx2 mis-read it.
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class ProviderNotConfigured(HeliconeLiteError, ValueError):
    """A model's provider has no API key (or no base URL) configured.

    Raised when the call is built, before any provider is called. ``env`` names the
    environment variables that would configure it.

    >>> error = ProviderNotConfigured("anthropic", "claude-x", "API key", ["ANTHROPIC_API_KEY"])
    >>> "set ANTHROPIC_API_KEY" in str(error)
    True
    """

    def __init__(self, provider: str, model: str, missing: str, env: Sequence[str]) -> None:
        self.provider = provider
        self.model = model
        self.missing = missing
        self.env = tuple(env)
        field = "api_key" if missing == "API key" else "base_url"
        where = f"set {' or '.join(self.env)}, or pass " if self.env else "pass "
        super().__init__(
            f"model {model!r} goes to provider {provider!r}, which has no {missing}: "
            f"{where}Client(providers=[{{'name': {provider!r}, {field!r}: ...}}])"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (ProviderNotConfigured, (self.provider, self.model, self.missing, self.env))


def provider_status_error(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None,
    body: object | None,
    url: str,
) -> openai.APIStatusError:
    """The ``openai`` exception for a provider's HTTP error, its headers preserved."""
    kept = {k: v for k, v in (headers or {}).items() if k.lower() not in _BODY_HEADERS}
    if not isinstance(body, Mapping):
        body = {"error": {"message": message, "type": "provider_error", "code": status}}
    return status_error(status, message, headers=kept, body=body, url=url)


def connection_error(
    request: httpx2.Request | None, *, timeout: bool, message: str | None = None
) -> openai.APIConnectionError:
    """``openai.APITimeoutError`` or ``openai.APIConnectionError`` for a transport failure."""
    if request is None:
        request = httpx2.Request("POST", "http://helicone-lite.local/")
    if timeout:
        return openai.APITimeoutError(request=request)
    return openai.APIConnectionError(message=message or "Connection error.", request=request)


def transport_error(exc: BaseException) -> openai.APIConnectionError | None:
    """The ``openai`` error for an ``httpx2`` transport failure (a connection reset, a cut
    stream, a timeout) that an SDK let through unwrapped; ``None`` for anything else."""
    if not isinstance(exc, httpx2.TransportError):
        return None
    try:
        request: httpx2.Request | None = exc.request
    except RuntimeError:  # raised outside a request
        request = None
    timeout = isinstance(exc, httpx2.TimeoutException)
    return connection_error(request, timeout=timeout, message=str(exc) or None)
