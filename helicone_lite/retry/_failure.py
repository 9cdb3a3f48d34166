"""What went wrong with one attempt, in the terms retry and fallback decide on.

A provider error reaches the stack as ``Result.error``: an ``openai`` exception (the adapters map
Anthropic's and Gemini's errors to the matching ``openai`` class), an ``httpx2`` transport error,
or something else (a bug, which is never retried and never hidden by a fallback).
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx2
import openai

from .._errors import http_status
from ..pipeline._attempt import Failure, FailureKind

__all__ = ["Failure", "FailureKind", "failure_of", "parse_retry_after"]

_CONTEXT = re.compile(
    r"context[ _-]?(length|window)|maximum context|prompt is too long|input is too long"
    r"|too many (input )?tokens|exceeds the maximum (number of )?(input )?tokens"
    r"|input token count",
    re.IGNORECASE,
)
_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})


def failure_of(error: BaseException | None, clock: Callable[[], float]) -> Failure | None:
    """Classify ``error`` (``None``: the attempt succeeded). ``clock`` reads HTTP-date waits."""
    if error is None:
        return None
    if isinstance(error, (openai.APITimeoutError, httpx2.TimeoutException, TimeoutError)):
        return Failure("timeout")
    if isinstance(error, (openai.APIConnectionError, httpx2.TransportError, ConnectionError)):
        return Failure("connection")
    status = http_status(error)
    if status is None:
        # another SDK's connection or timeout error (a native client's: anthropic's), raised
        # from the transport error behind it
        cause = error.__cause__
        if isinstance(cause, (httpx2.TimeoutException, TimeoutError)):
            return Failure("timeout")
        if isinstance(cause, (httpx2.TransportError, ConnectionError)):
            return Failure("connection")
        return Failure("other")
    headers = _headers_of(error)
    return Failure(
        "status",
        status=status,
        retry_after=parse_retry_after(headers, clock),
        should_retry=_should_retry(headers),
        context_length=status in (400, 413, 422) and _is_context_error(error),
    )


def _headers_of(error: BaseException) -> Mapping[str, str]:
    response: Any = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else {}


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not isinstance(headers, httpx2.Headers):
        lowered = {k.lower(): v for k, v in headers.items()}
        value = lowered.get(name)
    return value


def parse_retry_after(headers: Mapping[str, str], clock: Callable[[], float]) -> float | None:
    """Seconds the provider asks to wait, or ``None``; as openai's SDK reads it.

    >>> parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}, lambda: 0.0)
    1.5
    """
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = _get(headers, name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        return value / divisor if math.isfinite(value) else None
    raw = _get(headers, "retry-after")
    if raw is None:
        return None
    try:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return float(email.utils.mktime_tz(parsed)) - clock()
    except (TypeError, ValueError, OverflowError):
        return None


def _should_retry(headers: Mapping[str, str]) -> bool | None:
    value = _get(headers, "x-should-retry")
    return {"true": True, "false": False}.get(value or "")


def _is_context_error(error: BaseException) -> bool:
    code = getattr(error, "code", None)
    if isinstance(code, str) and code in _CONTEXT_CODES:
        return True
    body = getattr(error, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("code") in _CONTEXT_CODES:
            return True
    return bool(_CONTEXT.search(str(getattr(error, "message", error))))
