"""A call's model string (and ``fallbacks=[…]``) as the ordered targets of a fallback chain.

The rules, in order:

1. ``"a,b,c"`` (Helicone's gateway form): a comma separates entries; blanks around them are
   ignored; an empty entry is an error.
2. Within an entry, ``"a/b"`` (the seed's form) is a chain only when **every** slash-separated
   part is a known model name, or a provider name right after a model it applies to:
   ``"gpt-4o/claude-sonnet-4"`` → gpt-4o, then claude-sonnet-4;
   ``"gpt-4o/claude-sonnet-4/anthropic"`` → gpt-4o, then claude-sonnet-4 on anthropic.
3. Otherwise the entry is one model: ``"model/provider"`` when the part after the last slash names
   a configured provider (``"gpt-4o/openai"``, ``"meta-llama/Llama-3-70b/groq"``), else the whole
   entry is the model id, sent as it is (``"meta-llama/Llama-3-70b"``, ``"openai/gpt-4o"`` on
   OpenRouter: an ``org/model`` id whose first part is not a known model never splits).

Known model names are the registry's (``registry.is_known_model``), or, on a registry without
that method, the families below plus every configured provider's ``models`` globs. To chain ids
that contain a slash, use the comma form: ``"meta-llama/Llama-3-70b,gpt-4o"``.

``fallbacks=[…]`` (and the legacy ``Helicone-Fallbacks`` header) append targets after the model
string's: a model string (parsed by the same rules), or a :class:`FallbackTarget` whose
``base_url`` sends the call to that OpenAI-compatible endpoint (model: the target's, else the
first target's), with its ``headers``, ``body`` overrides and ``on_codes``.
``Helicone-Fallback-Enabled: false`` keeps only the first target.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._errors import OptionsError
from ..pipeline._call import Target

if TYPE_CHECKING:
    from ..options import FallbackTarget
    from ._registry import ProviderRegistry

__all__ = ["KNOWN_FAMILIES", "resolve_chain", "split_model"]

#: model-name globs known without any configuration (used when the registry cannot say).
KNOWN_FAMILIES: tuple[str, ...] = (
    "gpt-*",
    "chatgpt-*",
    "o[0-9]",
    "o[0-9]-*",
    "claude-*",
    "gemini-*",
    "text-embedding-*",
)
_FAMILIES = re.compile("|".join(fnmatch.translate(g) for g in KNOWN_FAMILIES), re.IGNORECASE)
_OPENAI_COMPATIBLE = "openai"
_ALLOWED = "a model name, 'a/b' between known model names, or 'a,b' without empty entries"


def resolve_chain(
    registry: ProviderRegistry, model: str, options: Any = None
) -> tuple[Target, ...]:
    """The targets of a call whose ``model`` parameter is ``model``, in the order tried."""
    if "," in model or "/" in model:
        targets = [registry.target(entry) for entry in split_model(model, registry)]
    else:
        targets = [registry.target(model)]
    if options is None:
        return tuple(targets)
    if options.fallback_enabled is False:
        return (targets[0],)
    for extra in options.fallbacks or ():
        targets.extend(_fallback_targets(registry, extra, targets[0]))
    return tuple(targets)


def split_model(model: str, registry: ProviderRegistry) -> list[str]:
    """The entries of a model string, each ``model`` or ``model/provider``.

    >>> from helicone_lite.providers import ProviderRegistry
    >>> split_model("gpt-4o/claude-sonnet-4", ProviderRegistry())
    ['gpt-4o', 'claude-sonnet-4']
    >>> split_model("meta-llama/Llama-3-70b", ProviderRegistry())
    ['meta-llama/Llama-3-70b']
    """
    if "," in model:
        entries = [entry.strip() for entry in model.split(",")]
        if not all(entries):
            raise OptionsError("model", model, _ALLOWED)
    else:
        entries = [model]
    is_model = _known_models(registry)
    providers = registry.providers
    out: list[str] = []
    for entry in entries:
        out.extend(_slash_chain(entry, is_model, providers.__contains__) or (entry,))
    return out


def _slash_chain(
    entry: str, is_model: Callable[[str], bool], is_provider: Callable[[str], bool]
) -> list[str] | None:
    parts = entry.split("/")
    if len(parts) < 2:
        return None
    items: list[str] = []
    for part in parts:
        if is_model(part):
            items.append(part)
        elif items and "/" not in items[-1] and is_provider(part):
            items[-1] = f"{items[-1]}/{part}"
        else:
            return None
    return items if len(items) >= 2 else None


def _known_models(registry: ProviderRegistry) -> Callable[[str], bool]:
    known = getattr(registry, "is_known_model", None)
    if callable(known):
        return lambda name: bool(known(name))
    globs = [g for config in registry.providers.values() for g in config.models]
    configured = (
        re.compile("|".join(fnmatch.translate(g) for g in globs), re.IGNORECASE) if globs else None
    )

    def is_model(name: str) -> bool:
        if not name:
            return False
        return bool(_FAMILIES.match(name) or (configured and configured.match(name)))

    return is_model


def _fallback_targets(
    registry: ProviderRegistry, extra: FallbackTarget, first: Target
) -> Iterable[Target]:
    overrides: dict[str, Any] = {
        "headers": extra.headers,
        "body": extra.body,
        "on_codes": extra.on_codes,
    }
    if extra.base_url:
        return [
            Target(
                provider=endpoint_name(extra.base_url),
                model=extra.model or first.model,
                adapter=registry.adapter(_OPENAI_COMPATIBLE),
                base_url=extra.base_url,
                **overrides,
            )
        ]
    if not extra.model:
        return [replace(first, **overrides)]
    return [registry.target(entry, **overrides) for entry in split_model(extra.model, registry)]


def endpoint_name(base_url: str) -> str:
    """How a ``base_url`` target is named as a provider: its host (and port).

    >>> endpoint_name("https://api.groq.com/openai/v1")
    'api.groq.com'
    """
    return urlsplit(base_url).netloc.rpartition("@")[2] or base_url
