"""Migration by renaming one class: a client pointed at a Helicone endpoint talks to providers directly.

Code written for Helicone builds its client as ``OpenAI(base_url="https://ai-gateway.helicone.ai",
api_key=HELICONE_API_KEY)`` (the AI gateway), ``OpenAI(base_url="https://oai.helicone.ai/v1",
default_headers={"Helicone-Auth": "Bearer <helicone key>"})`` (a provider proxy), or
``base_url="https://gateway.helicone.ai"`` with ``Helicone-Target-Url`` (the generic gateway).
helicone_lite does in process what those endpoints do, so when ``helicone_lite.Client`` is given
such a base URL it rewrites the client, once, at construction:

- the client's own (OpenAI-protocol) endpoint becomes the upstream: ``Helicone-Target-Url`` or
  ``Helicone-OpenAI-Api-Base`` (an origin; the base URL's path is kept, as Helicone forwards it),
  else the base URL of the provider the endpoint stands for (``oai`` -> OpenAI, ``anthropic`` ->
  Anthropic, …; the AI gateway and user-listed gateways route by model, so OpenAI), read from the
  usual ``<PROVIDER>_BASE_URL`` variable or its default;
- the Helicone key (``api_key`` for the AI gateway, ``Helicone-Auth`` for the proxies) is
  dropped: it is never sent anywhere. The provider's own key (``OPENAI_API_KEY``…, or
  ``api_key`` when ``Helicone-Auth`` carries the Helicone key) is used instead; without one, a
  call raises :class:`ProviderNotConfigured` naming the variable;
- every other model goes to its provider with its provider's key, as for any client (the
  "gateway rule" of :mod:`._sdk`, which would send it to the client's base URL, is off).

One info-level log line says what was done. The function is pure apart from reading the
environment; the client applies the returned keyword arguments.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .._errors import OptionsError
from ._base import ProviderConfig

__all__ = ["GatewayMigration", "is_helicone_key", "is_helicone_url", "migrate_gateway"]

_log = logging.getLogger("helicone_lite")

#: Helicone host -> the provider its traffic goes to (None: route by model, as the AI gateway
#: does; "" : the generic gateway, whose upstream is Helicone-Target-Url).
HELICONE_HOSTS: Mapping[str, str | None] = {
    "ai-gateway.helicone.ai": None,
    "gateway.helicone.ai": "",
    "oai.helicone.ai": "openai",
    "oai.hconeai.com": "openai",
    "anthropic.helicone.ai": "anthropic",
    "anthropic.hconeai.com": "anthropic",
    "gemini.helicone.ai": "gemini",
    "groq.helicone.ai": "groq",
    "together.helicone.ai": "together",
    "openrouter.helicone.ai": "openrouter",
    "deepseek.helicone.ai": "deepseek",
}
_HELICONE_DOMAINS = (".helicone.ai", ".hconeai.com")
_OPENAI_DEFAULT = "https://api.openai.com/v1"
#: key prefixes of Helicone API keys (never a provider's)
_HELICONE_KEY_PREFIXES = ("sk-helicone", "pk-helicone")


@dataclass(frozen=True, slots=True)
class GatewayMigration:
    """What was done to a client built with a Helicone base URL (no secrets in it)."""

    gateway: str
    upstream: str
    provider: str
    key_env: tuple[str, ...]
    key_source: str  # "api_key" (the user's, a provider key), "environment", or "missing"

    @property
    def has_key(self) -> bool:
        return self.key_source != "missing"

    def describe(self) -> str:
        key = {
            "api_key": "the api_key given (Helicone-Auth carries the Helicone key)",
            "environment": " or ".join(self.key_env),
            "missing": f"no key yet: set {' or '.join(self.key_env) or 'its key'}",
        }[self.key_source]
        return (
            f"helicone_lite: base_url {self.gateway} is a Helicone endpoint; helicone_lite does "
            f"its work in process, so calls go directly to each model's provider with that "
            f"provider's own key (the Helicone key is never sent). This client's endpoint is now "
            f"{self.upstream} ({self.provider}, key: {key})."
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_helicone_url(url: str | None, gateways: Iterable[str] = ()) -> bool:
    """Whether ``url`` is one of Helicone's endpoints or a gateway the user listed.

    >>> is_helicone_url("https://ai-gateway.helicone.ai"), is_helicone_url("https://api.openai.com")
    (True, False)
    >>> is_helicone_url("http://localhost:8080/ai", ["http://localhost:8080"])
    True
    """
    if not url:
        return False
    host = _host(url)
    if host in HELICONE_HOSTS or host.endswith(_HELICONE_DOMAINS):
        return True
    return any(_origin(url) == _origin(g if "://" in g else f"https://{g}") for g in gateways)


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _explicit_origin(headers: Mapping[str, Any] | None) -> tuple[str, str] | None:
    for name, label in (
        ("helicone-target-url", "Helicone-Target-Url"),
        ("helicone-openai-api-base", "Helicone-OpenAI-Api-Base"),
    ):
        value = _header(headers, name)
        if value is None:
            continue
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OptionsError(label, value, "an http(s):// URL such as https://api.groq.com")
        return label, value.rstrip("/")
    return None


def _provider_by_origin(origin: str, configs: Mapping[str, ProviderConfig]) -> str | None:
    host = _host(origin)
    for config in configs.values():
        for url in (config.default_base_url, config.base_url):
            if url and _host(url) == host:
                return config.name
    return None


def _choose_provider(
    base_url: str,
    headers: Mapping[str, Any] | None,
    explicit: tuple[str, str] | None,
    configs: Mapping[str, ProviderConfig],
) -> str:
    given = _header(headers, "helicone-target-provider")
    named = (given or "").lower()
    if named in configs:
        return named
    if given is not None:
        allowed = "a configured provider: " + ", ".join(sorted(configs))
        raise OptionsError("Helicone-Target-Provider", given, allowed)
    if explicit is not None:
        return _provider_by_origin(explicit[1], configs) or "openai"
    mapped = HELICONE_HOSTS.get(_host(base_url))
    if mapped == "":
        raise OptionsError(
            "Helicone-Target-Url",
            None,
            f"the provider's URL (e.g. https://api.groq.com) with base_url {_origin(base_url)}",
        )
    return mapped if mapped is not None and mapped in configs else "openai"


def _join(upstream: str, path: str) -> str:
    return upstream.rstrip("/") + "/" + path.strip("/") if path.strip("/") else upstream


def _upstream(
    base_url: str,
    explicit: tuple[str, str] | None,
    config: ProviderConfig | None,
    gateways: Sequence[str],
) -> str:
    path = urlsplit(base_url).path
    if explicit is not None:
        return _join(explicit[1], path)
    candidates = (
        [config.base_url, *(os.environ.get(e) for e in config.base_url_env)] if config else []
    )
    candidates.append(config.default_base_url if config else None)
    for url in candidates:
        if url and not is_helicone_url(url, gateways):
            # a provider root without a path (api.anthropic.com) takes the client's path
            return url if urlsplit(url).path.strip("/") else _join(url, path)
    return _OPENAI_DEFAULT


def is_helicone_key(key: str) -> bool:
    """Whether ``key`` is a Helicone API key (never a provider's)."""
    return key.startswith(_HELICONE_KEY_PREFIXES) or key == os.environ.get("HELICONE_API_KEY")


def _provider_key(
    kwargs: Mapping[str, Any],
    headers: Mapping[str, Any] | None,
    routes_by_model: bool,
    config: ProviderConfig | None,
) -> tuple[str | None, str]:
    given = kwargs.get("api_key")
    helicone_auth = _header(headers, "helicone-auth") is not None
    provider_form = helicone_auth or not routes_by_model  # the proxies: api_key is the provider's
    if isinstance(given, str) and given and not is_helicone_key(given) and provider_form:
        return given, "api_key"
    found = config.resolved_api_key() if config else None
    if found and not is_helicone_key(found):
        return found, "environment"
    return None, "missing"


def migrate_gateway(
    kwargs: dict[str, Any],
    providers: Iterable[ProviderConfig],
    gateways: Sequence[str] = (),
) -> GatewayMigration | None:
    """Rewrite ``Client`` keyword arguments whose base URL is a Helicone endpoint (in place);
    return what was done, or ``None`` (nothing to do)."""
    base_url = kwargs.get("base_url") or os.environ.get("OPENAI_BASE_URL")
    base_url = str(base_url) if base_url else None
    if base_url is None or not is_helicone_url(base_url, gateways):
        return None
    configs = {c.name: c for c in providers}
    headers = kwargs.get("default_headers")
    explicit = _explicit_origin(headers)
    provider = _choose_provider(base_url, headers, explicit, configs)
    config = configs.get(provider)
    routes_by_model = explicit is None and HELICONE_HOSTS.get(_host(base_url)) is None
    key, source = _provider_key(kwargs, headers, routes_by_model, config)
    upstream = _upstream(base_url, explicit, config, gateways)
    kwargs["base_url"] = upstream
    kwargs["api_key"] = key or ""  # "" sends no Authorization; a call then fails fast
    if key is None:
        kwargs["_enforce_credentials"] = False
    migration = GatewayMigration(
        gateway=_origin(base_url),
        upstream=upstream,
        provider=provider,
        key_env=config.api_key_env if config else ("OPENAI_API_KEY",),
        key_source=source,
    )
    _log.info("%s", migration.describe())
    return migration
