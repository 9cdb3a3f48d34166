"""Errors: our own (`OptionsError`) and genuine ``openai`` exceptions built locally.

A call refused by helicone_lite itself (a rate limit, say) raises the same exception class the
OpenAI SDK would raise for that status, around a synthetic ``httpx2.Response``, so the user's
existing ``except openai.RateLimitError`` blocks keep working.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx2
import openai

__all__ = ["OptionsError", "name", "quote", "status_error"]

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


_STATUS_CLASSES: Mapping[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}


class OptionsError(ValueError):
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
    if body is None:
        body = {"error": {"message": message, "type": "helicone_lite", "code": status}}
    request = httpx2.Request("POST", url)
    response = httpx2.Response(
        status, headers=dict(headers or {}), content=json.dumps(body).encode(), request=request
    )
    data = body.get("error", body) if isinstance(body, Mapping) else body
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = openai.InternalServerError if status >= 500 else openai.APIStatusError
    return cls(message, response=response, body=data)
