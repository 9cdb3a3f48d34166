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

__all__ = ["OptionsError", "status_error"]

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

    >>> str(OptionsError("Helicone-Cache-Bucket-Max-Size", "50", "1 to 20"))
    "Helicone-Cache-Bucket-Max-Size: '50' is not allowed; expected 1 to 20"
    """

    def __init__(self, option: str, value: object, allowed: str) -> None:
        self.option = option
        self.value = value
        self.allowed = allowed
        super().__init__(f"{option}: {value!r} is not allowed; expected {allowed}")

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
