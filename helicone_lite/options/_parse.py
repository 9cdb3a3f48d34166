"""From headers and keyword arguments to :class:`Options`.

One table, ``_SPECS``, says for every option its header, its keyword, how to parse a value and
how long a text value may be. Every text value must also be printable (no control, format or
line-separator characters: CR/LF, ESC, NUL, bidi overrides…). The limits are documented in
docs/security.md; an error quotes at most a short prefix of the value.
"""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

from .._errors import OptionsError
from ._model import EMPTY, Options
from ._values import (
    parse_cache_control,
    parse_fallbacks,
    parse_http_url,
    parse_policies,
    parse_token_handler,
)

__all__ = ["OPTION_HEADERS", "parse_headers", "parse_kwargs", "split_headers"]

Parser = Callable[[object, str], Any]

#: what a call's (or a client's) ``helicone=`` accepts: options, their keyword form, or nothing
HeliconeArg: TypeAlias = Options | Mapping[str, object] | None

# Limits (docs/security.md). Text options: ids, names, seeds, environments, model override.
MAX_TEXT = 256
MAX_PATH = 1024  # Helicone-Session-Path
MAX_HEADER = 8192  # any other header value (policies, Cache-Control, fallbacks JSON)
MAX_INPUTS = 1 << 20  # Helicone-Prompt-Inputs, as JSON
MAX_PROPERTIES = 64
MAX_PROPERTY_NAME = 128
MAX_PROPERTY_VALUE = 1024
MAX_IGNORE_KEYS = 64
#: Helicone-Retry-Min-Timeout / -Max-Timeout above this (ms) are refused: 10 minutes.
MAX_RETRY_TIMEOUT_MS = 600_000
MAX_RETRY_FACTOR = 10.0


def _printable(value: str, option: str, limit: int) -> str:
    if len(value) > limit:
        raise OptionsError(option, value, f"at most {limit} characters")
    if not value.isprintable():
        raise OptionsError(
            option, value, "printable text (no control characters such as CR, LF, ESC or NUL)"
        )
    return value


def _bool(value: object, option: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise OptionsError(option, value, "true or false")


def _text(value: object, option: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise OptionsError(option, value, "a non-empty string")


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # "²".isdigit() is True, but int("²") fails


def _int_range(low: int, high: int | None) -> Parser:
    allowed = f"a whole number from {low} to {high}" if high else f"a whole number >= {low}"

    def parse(value: object, option: str) -> int:
        number = value
        if isinstance(value, str) and _ascii_digits(value.strip().lstrip("-")):
            number = int(value.strip())
        if (
            isinstance(number, bool)
            or not isinstance(number, int)
            or number < low
            or (high is not None and number > high)
        ):
            raise OptionsError(option, value, allowed)  # the value as given, not as converted
        return number

    return parse


def _positive_number(value: object, option: str) -> float:
    if not isinstance(value, bool):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = -1.0
        if number > 0 and number != float("inf"):
            return number
    raise OptionsError(option, value, "a positive number")


def _non_negative_ms(value: object, option: str) -> float:
    if isinstance(value, str) and value.strip() == "0":
        return 0.0
    if value == 0 and not isinstance(value, bool):
        return 0.0
    number = _positive_number(value, option)
    if number > MAX_RETRY_TIMEOUT_MS:
        raise OptionsError(option, value, f"milliseconds from 0 to {MAX_RETRY_TIMEOUT_MS}")
    return number


def _retry_factor(value: object, option: str) -> float:
    number = _positive_number(value, option)
    if number > MAX_RETRY_FACTOR:
        raise OptionsError(option, value, f"a positive number up to {MAX_RETRY_FACTOR:g}")
    return number


def _path(value: object, option: str) -> str:
    text = _text(value, option) if value != "/" else "/"
    text = "/" + text.lstrip("/") if not text.startswith("/") else text
    return text.rstrip("/") or "/"


def _uuid(value: object, option: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise OptionsError(
            option, value, "a UUID like 3f2b8c1e-6d4a-4b7e-9c1f-2a5d8e7f9b10"
        ) from None


def _keys(value: object, option: str) -> tuple[str, ...]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise OptionsError(option, value, "'a,b' or a JSON array of strings") from None
        else:
            value = [k.strip() for k in text.split(",") if k.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(k, str) for k in value):
        if len(value) > MAX_IGNORE_KEYS:
            raise OptionsError(option, value, f"at most {MAX_IGNORE_KEYS} keys")
        return tuple(_printable(k, option, MAX_TEXT) for k in value)
    raise OptionsError(option, value, "'a,b' or a JSON array of strings")


def _inputs(value: object, option: str) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise OptionsError(option, value, "a JSON object of template inputs") from None
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        for name in value:
            _printable(name, option, MAX_TEXT)
        if len(json.dumps(value, default=str)) > MAX_INPUTS:
            raise OptionsError(option, value, f"at most {MAX_INPUTS} characters of JSON")
        return MappingProxyType(dict(value))
    raise OptionsError(option, value, "an object mapping input names to values")


def _property_value(value: object, option: str) -> str:
    if isinstance(value, str):
        return _printable(value, option, MAX_PROPERTY_VALUE)
    if isinstance(value, (int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise OptionsError(option, value, "a string (property values are strings)")


def _properties(value: object, option: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise OptionsError(option, value, "a mapping of property names to string values")
    if len(value) > MAX_PROPERTIES:
        raise OptionsError(option, value, f"at most {MAX_PROPERTIES} properties")
    out: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip():
            raise OptionsError(option, value, "non-empty property names")
        _printable(name, f"{option} name", MAX_PROPERTY_NAME)
        out[name.strip().lower()] = _property_value(item, f"{option}[{name!r}]")
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True)
class _Spec:
    field: str
    header: str
    parse: Parser
    #: the longest text value accepted (before parsing); every text value must be printable.
    limit: int = MAX_HEADER


_SPECS: tuple[_Spec, ...] = (
    _Spec("cache_enabled", "Helicone-Cache-Enabled", _bool),
    _Spec("cache_read", "Helicone-Cache-Read", _bool),
    _Spec("cache_save", "Helicone-Cache-Save", _bool),
    _Spec("cache_control", "Cache-Control", parse_cache_control),
    _Spec("cache_bucket_max_size", "Helicone-Cache-Bucket-Max-Size", _int_range(1, 20)),
    _Spec("cache_seed", "Helicone-Cache-Seed", _text, MAX_TEXT),
    _Spec("cache_ignore_keys", "Helicone-Cache-Ignore-Keys", _keys),
    _Spec("ratelimit_policy", "Helicone-RateLimit-Policy", parse_policies),
    _Spec("retry_enabled", "Helicone-Retry-Enabled", _bool),
    _Spec("retry_num", "Helicone-Retry-Num", _int_range(0, 20)),
    _Spec("retry_factor", "Helicone-Retry-Factor", _retry_factor),
    _Spec("retry_min_timeout", "Helicone-Retry-Min-Timeout", _non_negative_ms),
    _Spec("retry_max_timeout", "Helicone-Retry-Max-Timeout", _non_negative_ms),
    _Spec("fallback_enabled", "Helicone-Fallback-Enabled", _bool),
    _Spec("fallbacks", "Helicone-Fallbacks", parse_fallbacks),
    _Spec("session_id", "Helicone-Session-Id", _text, MAX_TEXT),
    _Spec("session_path", "Helicone-Session-Path", _path, MAX_PATH),
    _Spec("session_name", "Helicone-Session-Name", _text, MAX_TEXT),
    _Spec("user_id", "Helicone-User-Id", _text, MAX_TEXT),
    _Spec("properties", "Helicone-Property-<Name>", _properties),
    _Spec("prompt_id", "Helicone-Prompt-Id", _text, MAX_TEXT),
    _Spec("prompt_version", "Helicone-Prompt-Version", _int_range(1, None)),
    _Spec("prompt_environment", "Helicone-Prompt-Environment", _text, MAX_TEXT),
    _Spec("prompt_inputs", "Helicone-Prompt-Inputs", _inputs, MAX_INPUTS),
    _Spec("request_id", "Helicone-Request-Id", _uuid),
    _Spec("omit_request", "Helicone-Omit-Request", _bool),
    _Spec("omit_response", "Helicone-Omit-Response", _bool),
    _Spec("model_override", "Helicone-Model-Override", _text, MAX_TEXT),
    # production (security/, posthog/, tokenlimit/: docs/production.md)
    _Spec("llm_security_enabled", "Helicone-LLM-Security-Enabled", _bool),
    _Spec("llm_security_advanced", "Helicone-LLM-Security-Advanced", _bool),
    _Spec("prompt_guard_enabled", "Helicone-Prompt-Guard-Enabled", _bool),
    _Spec("moderations_enabled", "Helicone-Moderations-Enabled", _bool),
    _Spec("posthog_key", "Helicone-PostHog-Key", _text),
    _Spec("posthog_host", "Helicone-PostHog-Host", parse_http_url),
    _Spec("posthog_event", "Helicone-PostHog-Event", _text, MAX_TEXT),
    _Spec("token_limit_handler", "Helicone-Token-Limit-Exception-Handler", parse_token_handler),
    # the call's upstream (providers/_target.py; on a client: providers/_gateway.py)
    _Spec("target_url", "Helicone-Target-Url", parse_http_url),
    _Spec("openai_api_base", "Helicone-OpenAI-Api-Base", parse_http_url),
    _Spec("target_provider", "Helicone-Target-Provider", _text, MAX_TEXT),
)

_BY_HEADER = {spec.header.lower(): spec for spec in _SPECS}
_BY_FIELD = {spec.field: spec for spec in _SPECS}
_PROPERTY_PREFIX = "helicone-property-"
# Helicone headers that mean something only to Helicone's hosted proxy; accepted and dropped.
# docs/headers.md lists every header of Helicone's directory and what we do with it.
_PROXY_ONLY = frozenset({"helicone-auth", "helicone-stream-force-format"})
# An unknown header whose name asks for protection is an error, never silently ignored.
_PROTECTIVE = ("security", "guard", "moderation", "limit", "safety", "pii", "redact", "block")

#: header name -> keyword name, for documentation and the README table.
OPTION_HEADERS: Mapping[str, str] = MappingProxyType({s.header: s.field for s in _SPECS})


def is_option_header(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("helicone-") or lower == "cache-control"


def split_headers(
    headers: Mapping[str, Any] | None,
) -> tuple[dict[str, tuple[str, object]], dict[str, Any] | None]:
    """Split ``headers`` into raw option values (by field) and the headers left for the provider.

    Unknown ``Helicone-*`` headers are dropped (never sent to a provider) and ignored; the caller
    may warn about them through :func:`unknown_headers`.
    """
    if not headers:
        return {}, headers if headers is None else dict(headers)
    raw: dict[str, tuple[str, object]] = {}
    rest: dict[str, Any] = {}
    props: dict[str, object] = {}
    for name, value in headers.items():
        lower = name.lower()
        if not is_option_header(lower):
            rest[name] = value
        elif lower.startswith(_PROPERTY_PREFIX):
            props[name[len(_PROPERTY_PREFIX) :]] = value
        else:
            spec = _BY_HEADER.get(lower)
            if spec is not None:
                raw[spec.field] = (name, value)
            elif lower not in _PROXY_ONLY and any(w in lower for w in _PROTECTIVE):
                raise OptionsError(
                    name, value, "a header helicone_lite implements (docs/headers.md)"
                )
    if props:
        raw["properties"] = ("Helicone-Property-<Name>", props)
    return raw, rest


def unknown_headers(headers: Mapping[str, Any] | None) -> list[str]:
    """``Helicone-*`` headers that are neither options nor proxy-only (likely typos)."""
    return [
        name
        for name in headers or ()
        if name.lower().startswith("helicone-")
        and name.lower() not in _BY_HEADER
        and name.lower() not in _PROXY_ONLY
        and not name.lower().startswith(_PROPERTY_PREFIX)
    ]


def _suggest(name: object, known: list[str], what: str) -> str:
    """``what``, and the nearest of ``known`` to ``name`` when one is close (difflib)."""
    close = []
    if isinstance(name, str) and len(name) <= 100:
        lower = {k.lower(): k for k in known}
        close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
        close = [lower[c] for c in close]
    hint = f"; did you mean {close[0]!r}?" if close else f" (one of: {', '.join(sorted(known))})"
    return what + hint


def check_unknown_headers(headers: Mapping[str, Any] | None, *, strict: bool) -> list[str]:
    """Raise :class:`OptionsError` for the first unknown ``Helicone-*`` header (a likely typo,
    with the nearest valid name), or, when not ``strict``, return them all (to warn about)."""
    unknown = unknown_headers(headers)
    if unknown and strict:
        assert headers is not None
        first = unknown[0]
        known = [spec.header for spec in _SPECS if spec.header.startswith("Helicone-")]
        allowed = _suggest(first, known, "a Helicone-* header helicone_lite knows")
        raise OptionsError(
            first, headers[first], allowed + " (Client(strict_headers=False) only warns)"
        )
    return unknown


def _apply(spec: _Spec, value: object, option: str) -> Any:
    """Parse one value; an error always quotes the value exactly as the user gave it."""
    if isinstance(value, str):
        _printable(value, option, spec.limit)
    try:
        return spec.parse(value, option)
    except OptionsError as exc:
        if exc.value is value or exc.option != option:
            raise
        raise OptionsError(option, value, exc.allowed) from None


def parse_headers(headers: Mapping[str, Any] | None) -> tuple[Options, dict[str, Any] | None]:
    """Parse the option headers out of ``headers``; return them and the headers left over.

    >>> opts, rest = parse_headers({"Helicone-Cache-Enabled": "TRUE", "X-Trace": "1"})
    >>> opts.cache_enabled, rest
    (True, {'X-Trace': '1'})
    """
    raw, rest = split_headers(headers)
    if not raw:
        return _EMPTY, rest
    values: dict[str, Any] = {}
    for fname, pair in raw.items():
        header, value = pair
        values[fname] = _apply(_BY_FIELD[fname], value, header)
    return Options(**values), rest


def parse_kwargs(value: HeliconeArg) -> Options:
    """Parse the ``helicone=`` keyword: an :class:`Options` or a dict of keyword options.

    >>> parse_kwargs({"cache_bucket_max_size": "3"}).cache_bucket_max_size
    3
    """
    if value is None:
        return _EMPTY
    if isinstance(value, Options):
        return value
    if not isinstance(value, Mapping):
        raise OptionsError("helicone", value, "a dict of options or a helicone_lite.Options")
    values: dict[str, Any] = {}
    for name, item in value.items():
        spec = _BY_FIELD.get(name)
        if spec is None:
            raise OptionsError("helicone", name, _suggest(name, list(_BY_FIELD), "a known option"))
        if item is not None:
            values[name] = _apply(spec, item, name)
    return Options(**values)


_EMPTY = EMPTY
