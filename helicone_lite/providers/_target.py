"""A call's own upstream: ``Helicone-Target-Url``, ``Helicone-OpenAI-Api-Base`` and
``Helicone-Target-Provider`` given per call (``extra_headers`` or ``helicone=``).

At Helicone these headers tell its generic gateway (``gateway.helicone.ai``) and its OpenAI proxy
(``oai.helicone.ai``, for Azure) where to forward a request, and which provider that is.
helicone_lite does in process what the gateway does, on any client, so per call they choose
where *this* call goes (a client built with them: providers/_gateway.py):

- ``Helicone-Target-Url`` (or ``Helicone-OpenAI-Api-Base``; the first wins): the upstream. A
  URL with a path is the API root as given (``https://api.groq.com/openai/v1``). A bare origin
  (``https://api.groq.com``, Helicone's documented form) becomes the configured base URL of the
  provider at that origin when there is one (``GROQ_BASE_URL`` or Groq's default), else the
  origin plus the client's own base-URL path (Helicone's gateway forwards the path it received);
- ``Helicone-Target-Provider``: the provider (a configured provider name, any case): its adapter
  (protocol), its key and its prices. Alone, it sends the call to that provider's own endpoint,
  as ``model/provider`` does. An unknown name is an :class:`OptionsError` listing the known ones,
  raised before anything is sent. Without it, the provider is the one whose configured base URL
  has the upstream's origin, else the upstream is an OpenAI-compatible endpoint named by its host
  (as a ``fallbacks=[{"base_url": …}]`` target is).

Credentials go only to the origin they were configured for (``same_origin``, not a string
prefix): a provider's key to its base URL's origin, the client's key to the client's origin,
and credential headers (``Authorization``, ``api-key``…) given in the same call's
``extra_headers`` to that call's upstream. The Helicone key is never a credential. A named
provider whose key cannot go to the upstream (another origin) and no credential given in the
call: :class:`OptionsError`, before anything is sent.

Every target of the model string (a fallback chain ``a/b`` too) moves to the upstream; a
``fallbacks=[{"base_url": …}]`` target keeps its own URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._errors import OptionsError
from ._base import ProviderConfig, same_origin
from ._chain import endpoint_name
from ._gateway import is_helicone_key
from .openai import CREDENTIAL_HEADERS

if TYPE_CHECKING:
    from ..options import Options
    from ..pipeline._call import Target
    from ._registry import ProviderRegistry

__all__ = ["retarget", "target_provider"]

_COMPATIBLE = "openai"  # the adapter of an endpoint no configured provider owns


def target_provider(value: str, providers: Mapping[str, ProviderConfig]) -> str:
    """The configured provider ``value`` names (case-insensitive), or :class:`OptionsError`.

    >>> from helicone_lite.providers import ProviderRegistry
    >>> target_provider("Groq", ProviderRegistry().providers)
    'groq'
    """
    name = value.strip().lower()
    if name not in providers:
        allowed = "a configured provider: " + ", ".join(sorted(providers))
        raise OptionsError("Helicone-Target-Provider", value, allowed)
    return name


def _configured_url(config: ProviderConfig) -> str | None:
    return config.resolved_base_url()


def _by_origin(url: str, providers: Mapping[str, ProviderConfig]) -> str | None:
    for config in providers.values():
        if same_origin(url, _configured_url(config)):
            return config.name
    return None


def _is_bare(url: str) -> bool:
    return not urlsplit(url).path.strip("/")


def _client_path(origin: Any) -> str:
    base = getattr(origin, "base_url", None)
    return urlsplit(str(base)).path.strip("/") if base is not None else ""


def _upstream(url: str, provider: ProviderConfig | None, origin: Any) -> str:
    if not _is_bare(url):
        return url.rstrip("/")
    configured = _configured_url(provider) if provider is not None else None
    if configured and same_origin(url, configured):
        return configured.rstrip("/")
    path = _client_path(origin)
    return url.rstrip("/") + ("/" + path if path else "")


def _call_credentials(request: Mapping[str, Any]) -> dict[str, str]:
    headers = request.get("extra_headers") or {}
    return {
        name: value
        for name, value in headers.items()
        if name.lower() in CREDENTIAL_HEADERS
        and isinstance(value, str)
        and not is_helicone_key(value.removeprefix("Bearer ").strip())
    }


def _check_key(
    config: ProviderConfig, upstream: str, given: Mapping[str, str], origin: Any
) -> None:
    """A named provider's key goes only to its own origin: say so, rather than send nothing."""
    needs_key = config.key_required and bool(config.api_key_env or config.api_key)
    if not needs_key or given or same_origin(upstream, _configured_url(config)):
        return
    if config.kind == _COMPATIBLE and same_origin(upstream, str(getattr(origin, "base_url", ""))):
        return  # the client's own origin: the client's key (providers/openai.py)
    env = " or ".join(config.base_url_env) or f"providers=[{{'name': {config.name!r}, ...}}]"
    raise OptionsError(
        "Helicone-Target-Url",
        upstream,
        f"the origin of {config.name}'s base URL ({_configured_url(config) or 'none'}): its key "
        f"is sent only there. Set {env} to this URL, or pass the credential in the call's "
        f"headers (e.g. Authorization)",
    )


def retarget(
    registry: ProviderRegistry,
    targets: tuple[Target, ...],
    options: Options,
    origin: Any,
    request: Mapping[str, Any],
) -> tuple[Target, ...]:
    """``targets`` moved to the call's upstream (unchanged when the call names none)."""
    url = options.target_url or options.openai_api_base
    named = options.target_provider
    if url is None and named is None:
        return targets
    providers = registry.providers
    name = target_provider(named, providers) if named is not None else None
    if url is None:
        assert name is not None
        adapter = registry.adapter(name)
        return tuple(
            t if t.base_url is not None else replace(t, provider=name, adapter=adapter)
            for t in targets
        )
    name = name or _by_origin(url, providers)
    config = providers.get(name) if name is not None else None
    upstream = _upstream(url, config, origin)
    given = _call_credentials(request)
    if config is not None:
        _check_key(config, upstream, given, origin)
    provider = name or endpoint_name(upstream)
    adapter = registry.adapter(name or _COMPATIBLE)
    return tuple(
        t
        if t.base_url is not None
        else replace(
            t, provider=provider, adapter=adapter, base_url=upstream, headers={**given, **t.headers}
        )
        for t in targets
    )
