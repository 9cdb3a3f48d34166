"""The one immutable, typed options object a call carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from ._values import CacheControl, FallbackTarget, RateLimitPolicy

__all__ = ["EMPTY", "Options"]

_NO_PROPERTIES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Options:
    """Every ``Helicone-*`` option of one call, parsed and validated.

    ``None`` means "not set" (the feature's default applies). Field names are the keyword
    forms: the header name without ``Helicone-``, snake-cased. Build one with
    :func:`helicone_lite.options.parse_options` or pass one as ``helicone=`` on a call.

    >>> Options(cache_enabled=True, user_id="patient-7829").user_id
    'patient-7829'
    """

    # caching
    cache_enabled: bool | None = None
    cache_read: bool | None = None
    cache_save: bool | None = None
    cache_control: CacheControl | None = None
    cache_bucket_max_size: int | None = None
    cache_seed: str | None = None
    cache_ignore_keys: tuple[str, ...] | None = None
    # rate limits
    ratelimit_policy: tuple[RateLimitPolicy, ...] | None = None
    # retries and fallback
    retry_enabled: bool | None = None
    retry_num: int | None = None
    retry_factor: float | None = None
    retry_min_timeout: float | None = None
    retry_max_timeout: float | None = None
    fallback_enabled: bool | None = None
    fallbacks: tuple[FallbackTarget, ...] | None = None
    # sessions, users, properties
    session_id: str | None = None
    session_path: str | None = None
    session_name: str | None = None
    user_id: str | None = None
    properties: Mapping[str, str] = field(default_factory=lambda: _NO_PROPERTIES)
    # prompts
    prompt_id: str | None = None
    prompt_version: int | None = None
    prompt_environment: str | None = None
    prompt_inputs: Mapping[str, Any] | None = None
    # ids, omission, pricing
    request_id: str | None = None
    omit_request: bool | None = None
    omit_response: bool | None = None
    model_override: str | None = None
    # production: LLM security, PostHog export, token limits (docs/production.md)
    llm_security_enabled: bool | None = None
    llm_security_advanced: bool | None = None
    prompt_guard_enabled: bool | None = None
    moderations_enabled: bool | None = None
    posthog_key: str | None = None
    posthog_host: str | None = None
    posthog_event: str | None = None
    token_limit_handler: str | None = None
    # the upstream of this call (providers/_target.py): an origin or API root, a provider name
    target_url: str | None = None
    openai_api_base: str | None = None
    target_provider: str | None = None

    def merge(self, other: Options) -> Options:
        """``other``'s set values win; properties are united (``other`` wins per name)."""
        if other is EMPTY:
            return self
        if self is EMPTY:
            return other
        changes: dict[str, Any] = {}
        for name in _FIELD_NAMES:
            value = getattr(other, name)
            if value is not None:
                changes[name] = value
        if other.properties:
            changes["properties"] = MappingProxyType({**self.properties, **other.properties})
        else:
            changes.pop("properties", None)
        return replace(self, **changes) if changes else self

    def is_empty(self) -> bool:
        return self is EMPTY or self == EMPTY

    @property
    def cache_reads(self) -> bool:
        """Whether this call may be answered from the cache."""
        read = self.cache_read if self.cache_read is not None else bool(self.cache_enabled)
        return read and not (self.cache_control is not None and self.cache_control.no_cache)

    @property
    def cache_saves(self) -> bool:
        """Whether this call's successful answer is stored in the cache."""
        save = self.cache_save if self.cache_save is not None else bool(self.cache_enabled)
        return save and not (self.cache_control is not None and self.cache_control.no_store)


_FIELD_NAMES = tuple(f.name for f in fields(Options))
#: The options of a call that sets none; parsers return this very object, so merging it is free.
EMPTY = Options()
