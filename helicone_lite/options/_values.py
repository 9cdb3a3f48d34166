"""Value objects for the options that have a grammar of their own.

Each ``parse_*`` function accepts what a header carries (a string) and what the keyword form
carries (already-typed values), and raises :class:`OptionsError` naming the option, the value and
what is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._errors import OptionsError
from ._policy import RateLimitPolicy, parse_policies

__all__ = [
    "CacheControl",
    "FallbackTarget",
    "RateLimitPolicy",
    "parse_cache_control",
    "parse_fallbacks",
    "parse_policies",
]

DEFAULT_CACHE_SECONDS = 7 * 24 * 3600
MAX_CACHE_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class CacheControl:
    """A parsed ``Cache-Control`` header: how long to keep, whether to read and save."""

    max_age: int = DEFAULT_CACHE_SECONDS
    no_store: bool = False
    no_cache: bool = False


_DIRECTIVE = re.compile(r"^\s*([a-zA-Z-]+)\s*(?:=\s*(\S*?)\s*)?$")


def parse_cache_control(value: object, option: str = "Cache-Control") -> CacheControl:
    """Parse ``max-age=N`` / ``s-maxage=N`` / ``no-store`` / ``no-cache``.

    ``s-maxage`` wins over ``max-age``; the age is clamped to 365 days.

    >>> parse_cache_control("max-age = 60, s-maxage=120").max_age
    120
    """
    if isinstance(value, CacheControl):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"max-age={value}"
    if not isinstance(value, str):
        raise OptionsError(option, value, "a Cache-Control string such as 'max-age=3600'")
    ages: dict[str, int] = {}
    flags: set[str] = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        m = _DIRECTIVE.match(part)
        if m is None:
            raise OptionsError(option, value, "directives like 'max-age=3600', 'no-store'")
        name, arg = m.group(1).lower(), m.group(2)
        if name in ("max-age", "s-maxage"):
            if arg is None or not (arg.isascii() and arg.isdigit()):
                raise OptionsError(option, value, f"{name}=<whole number of seconds>")
            ages[name] = int(arg)
        else:
            flags.add(name)
    age = ages.get("s-maxage", ages.get("max-age", DEFAULT_CACHE_SECONDS))
    return CacheControl(
        max_age=min(age, MAX_CACHE_SECONDS),
        no_store="no-store" in flags,
        no_cache="no-cache" in flags,
    )


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class FallbackTarget:
    """Where to go next when the previous target failed.

    ``model`` is a model string (it may name a provider: ``claude-sonnet-4`` or
    ``gpt-4o/openai``); ``base_url`` sends the call to another OpenAI-compatible endpoint;
    ``headers`` are sent with it; ``on_codes`` are the statuses of *this* target's answer that
    move the call on to the next target, as in Helicone's ``onCodes`` (``None``: the default
    set; connection errors and timeouts always move on); ``body`` overrides request fields.
    """

    model: str | None = None
    base_url: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    on_codes: tuple[int, ...] | None = None
    body: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


_TARGET_ALLOWED = (
    "a list of model strings or objects with model, base_url (or target-url), headers, "
    "on_codes (or onCodes) and body (or bodyKeyOverride)"
)


def _codes(raw: object, whole: object, option: str) -> tuple[int, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise OptionsError(option, whole, "onCodes as a list of status codes or {from, to} ranges")
    allowed = "onCodes as a list of HTTP status codes (100-599) or {from, to} ranges"
    codes: list[int] = []
    for item in raw:
        if isinstance(item, int) and not isinstance(item, bool):
            codes.append(item)
        elif isinstance(item, Mapping) and {"from", "to"} <= item.keys():
            try:
                codes.extend(range(int(item["from"]), int(item["to"]) + 1))
            except (TypeError, ValueError):
                raise OptionsError(option, whole, allowed) from None
        else:
            raise OptionsError(option, whole, allowed)
    if not all(100 <= code <= 599 for code in codes):
        raise OptionsError(option, whole, allowed)
    return tuple(codes)


def _base_url(item: Mapping[str, Any], whole: object, option: str) -> str | None:
    """``base_url`` as ``openai.OpenAI(base_url=…)`` takes it.

    Helicone's legacy ``target-url`` is the API root that the request path (``/v1/chat/…``) is
    appended to, so ``/v1`` is added to it (``https://api.groq.com/openai`` → ``…/openai/v1``).
    """
    legacy: object = item.get("target-url", item.get("targetUrl"))
    url: object = item.get("base_url", legacy)
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise OptionsError(option, whole, "base_url / target-url as an http(s):// URL")
    if url is legacy and not url.rstrip("/").endswith("/v1"):
        return url.rstrip("/") + "/v1"
    return url


def _target(item: object, whole: object, option: str) -> FallbackTarget:
    if isinstance(item, FallbackTarget):
        return item
    if isinstance(item, str) and item.strip():
        return FallbackTarget(model=item.strip())
    if not isinstance(item, Mapping):
        raise OptionsError(option, whole, _TARGET_ALLOWED)
    known = {
        "model",
        "base_url",
        "target-url",
        "targetUrl",
        "headers",
        "on_codes",
        "onCodes",
        "body",
        "bodyKeyOverride",
    }
    unknown = set(item) - known
    if unknown:
        raise OptionsError(option, whole, f"{_TARGET_ALLOWED}; unknown keys {sorted(unknown)}")
    headers = item.get("headers") or {}
    body = item.get("body", item.get("bodyKeyOverride")) or {}
    if not isinstance(headers, Mapping) or not isinstance(body, Mapping):
        raise OptionsError(option, whole, "headers and body as JSON objects")
    codes = item.get("on_codes", item.get("onCodes"))
    model = item.get("model", body.get("model"))
    return FallbackTarget(
        model=str(model) if model else None,
        base_url=_base_url(item, whole, option),
        headers=MappingProxyType({str(k): str(v) for k, v in headers.items()}),
        on_codes=None if codes is None else _codes(codes, whole, option),
        body=MappingProxyType(dict(body)),
    )


def parse_fallbacks(
    value: object, option: str = "Helicone-Fallbacks"
) -> tuple[FallbackTarget, ...]:
    """Parse ``fallbacks=[…]`` or the legacy ``Helicone-Fallbacks`` JSON header.

    >>> parse_fallbacks('[{"target-url": "https://x.test/v1", "onCodes": [429]}]')[0].on_codes
    (429,)
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise OptionsError(option, value, f"JSON: {_TARGET_ALLOWED}") from None
    if isinstance(value, (Mapping, FallbackTarget)):
        value = [value]
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise OptionsError(option, value, _TARGET_ALLOWED)
    return tuple(_target(item, value, option) for item in value)


TOKEN_HANDLERS = ("truncate", "middle-out", "fallback")


def parse_token_handler(value: object, option: str) -> str:
    """``Helicone-Token-Limit-Exception-Handler``: one of :data:`TOKEN_HANDLERS`.

    >>> parse_token_handler(" Middle-Out ", "x")
    'middle-out'
    """
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in TOKEN_HANDLERS:
        raise OptionsError(option, value, " | ".join(TOKEN_HANDLERS))
    return text


def parse_http_url(value: object, option: str) -> str:
    """An ``http(s)://host[...]`` URL, without a trailing slash.

    >>> parse_http_url("https://us.i.posthog.com/", "x")
    'https://us.i.posthog.com'
    """
    from urllib.parse import urlsplit

    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OptionsError(option, value, "an http(s):// URL")
    return text.rstrip("/")
