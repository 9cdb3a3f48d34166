"""Errors: helicone_lite's own, under one base, and genuine ``openai`` exceptions built locally.

Everything helicone_lite raises of its own derives from :class:`HeliconeLiteError` (each also
derives from the builtin it refines, so ``except ValueError`` keeps working)::

    HeliconeLiteError                      helicone_lite._errors
    ├── OptionsError (ValueError)          a bad option or setting; raised before anything is sent
    │   └── PromptError                    helicone_lite.prompts: a prompt cannot be rendered
    │       └── PromptNotFoundError (LookupError)
    ├── ProviderNotConfigured (ValueError) helicone_lite.providers: a target's provider has no key
    ├── ClientClosedError (RuntimeError)   a call on a client after ``close()``
    ├── StoreError                         helicone_lite.store: a store operation cannot be done
    ├── UnknownRequestError (ValueError)   helicone_lite.reports: feedback for an unlogged request
    ├── UnknownSessionError (ValueError)   helicone_lite.reports: feedback for an unknown session
    ├── StreamClosedEarly                  given to stream observers; never raised to the caller
    └── BackendError                       helicone_lite.ratelimit: the bucket store failed
                                           (becomes a 503 or an admitted call, never raised)

What a provider answers, and what helicone_lite refuses in a provider's place (a rate limit,
an unavailable limiter), is *not* in this tree: it raises the same ``openai`` exception class
the OpenAI SDK raises for that status (``openai.RateLimitError`` for a local 429), around a
synthetic ``httpx2.Response``, so existing ``except openai.RateLimitError`` blocks keep working.
Anthropic's and Gemini's errors are mapped to the same classes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when an error is built: the CLI's commands never need openai
    import openai

__all__ = [
    "ClientClosedError",
    "HeliconeLiteError",
    "OptionsError",
    "http_status",
    "name",
    "quote",
    "status_error",
]

#: at most this many characters of a bad value are quoted in an error message.
QUOTE_CHARS = 40


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """A short, inert rendering of ``value`` for messages: ``repr`` (control characters
    escaped) of at most ``limit`` characters, with the full length when it was cut.

    >>> quote("x" * 1_000_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… (1000000 characters)"
    """
    if isinstance(value, (str, bytes)) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[: limit + 2] + "…"


def name(option: str, limit: int = 80) -> str:
    """An option or header name for a message: non-printable characters escaped, cut short."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in option[:limit])
    return shown + ("…" if len(option) > limit else "")


#: the ``openai`` exception class per HTTP status (names: ``openai`` is imported on use).
_STATUS_CLASSES: Mapping[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


class HeliconeLiteError(Exception):
    """The base of every exception helicone_lite raises of its own (see the tree above)."""


class ClientClosedError(HeliconeLiteError, RuntimeError):
    """A call, or a feature that starts work, on a client after its ``close()``."""


class OptionsError(HeliconeLiteError, ValueError):
    """A ``Helicone-*`` option has a value helicone_lite cannot accept.

    Raised before any provider is called. ``option`` is the header name as the user wrote it
    (or the keyword name), ``value`` the offending value, ``allowed`` what would be accepted.
    The message quotes at most a short prefix of the value (:func:`quote`), so a 1 MB value
    gives a short message.

    >>> str(OptionsError("Helicone-Cache-Bucket-Max-Size", "50", "1 to 20"))
    "Helicone-Cache-Bucket-Max-Size: '50' is not allowed; expected 1 to 20"
    """

    def __init__(self, option: str, value: object, allowed: str) -> None:
        self.option = option
        self.value = value
        self.allowed = allowed
        super().__init__(f"{name(option)}: {quote(value)} is not allowed; expected {allowed}")

    def __repr__(self) -> str:
        return f"OptionsError({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (OptionsError, (self.option, self.value, self.allowed))


def status_error(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: object | None = None,
    url: str = "http://helicone-lite.local/v1/chat/completions",
) -> openai.APIStatusError:
    """Build the ``openai`` exception the SDK itself raises for ``status``.

    >>> status_error(429, "slow down").status_code
    429
    """
    import httpx2
    import openai

    if body is None:
        body = {"error": {"message": message, "type": "helicone_lite", "code": status}}
    request = httpx2.Request("POST", url)
    response = httpx2.Response(
        status, headers=dict(headers or {}), content=json.dumps(body).encode(), request=request
    )
    data = body.get("error", body) if isinstance(body, Mapping) else body
    fallback = "InternalServerError" if status >= 500 else "APIStatusError"
    cls: type[openai.APIStatusError] = getattr(openai, _STATUS_CLASSES.get(status, fallback))
    return cls(message, response=response, body=data)


def http_status(error: BaseException) -> int | None:
    """The HTTP status an SDK error carries: ``status_code`` (openai, anthropic), or the
    integer ``code`` of an error that also holds its ``response`` (google-genai's
    ``APIError``); None for an error without one."""
    status = getattr(error, "status_code", None)
    if status is None and hasattr(error, "response"):
        status = getattr(error, "code", None)
    if not isinstance(status, int) or isinstance(status, bool):
        return None
    return status
