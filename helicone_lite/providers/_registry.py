"""Model name -> provider adapter, from data (no if/elif over provider names).

The registry holds one :class:`ProviderConfig` per provider; each config's ``models`` globs say
which model names go there, and its ``kind`` names the adapter class (imported on first use, so
``import helicone_lite`` never imports a provider SDK it does not need). A model no glob
matches goes to the client's own OpenAI endpoint, exactly as ``openai.OpenAI()`` would send it.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._call import Target
from ._base import Adapter, ProviderConfig

__all__ = ["DEFAULT_PROVIDERS", "ProviderRegistry", "resolve_setting"]

#: adapter kind -> "module:Class"
ADAPTER_KINDS: Mapping[str, str] = {
    "openai": "helicone_lite.providers.openai:OpenAIAdapter",
}

DEFAULT_PROVIDERS: tuple[ProviderConfig, ...] = (
    ProviderConfig(
        name="openai",
        kind="openai",
        api_key_env=("OPENAI_API_KEY",),
        base_url_env=("OPENAI_BASE_URL",),
        price_provider="openai",
    ),
)


def resolve_setting(value: str | None, env: Sequence[str]) -> str | None:
    """``value`` if given, else the first of the environment variables ``env`` that is set."""
    if value:
        return value
    for name in env:
        found = os.environ.get(name)
        if found:
            return found
    return None


class ProviderRegistry:
    """Configured providers and their adapters (built lazily, once per client)."""

    def __init__(self, providers: Iterable[ProviderConfig] = DEFAULT_PROVIDERS) -> None:
        self._configs: dict[str, ProviderConfig] = {}
        for config in providers:
            self._configs[config.name] = config
        self._patterns = [
            (re.compile(fnmatch.translate(glob), re.IGNORECASE), config.name)
            for config in self._configs.values()
            for glob in config.models
        ]
        self._adapters: dict[str, Adapter] = {}
        self._lock = threading.Lock()

    @property
    def providers(self) -> Mapping[str, ProviderConfig]:
        return dict(self._configs)

    def adapter(self, name: str) -> Adapter:
        """The adapter of provider ``name``, built on first use."""
        adapter = self._adapters.get(name)
        if adapter is not None:
            return adapter
        with self._lock:
            if name not in self._adapters:
                self._adapters[name] = self._build(self._configs[name])
            return self._adapters[name]

    def _build(self, config: ProviderConfig) -> Adapter:
        module_name, _, class_name = ADAPTER_KINDS[config.kind].partition(":")
        cls: Any = getattr(importlib.import_module(module_name), class_name)
        adapter: Adapter = cls(config, use_origin=config.name == "openai")
        return adapter

    def provider_for(self, model: str) -> str:
        """The provider a bare model name goes to."""
        for pattern, name in self._patterns:
            if pattern.match(model):
                return name
        return "openai"

    def target(self, model: str, **overrides: Any) -> Target:
        """One target for a model string (``model`` or ``model/provider``)."""
        head, sep, tail = model.rpartition("/")
        if sep and tail in self._configs:
            name, model = tail, head
        else:
            name = self.provider_for(model)
        return Target(provider=name, model=model, adapter=self.adapter(name), **overrides)

    def resolve(self, model: str, options: Any = None) -> tuple[Target, ...]:
        """The targets of a call, in order (the fallback chain; one target without one)."""
        from ._chain import resolve_chain  # the chain rules: see _chain.py

        return resolve_chain(self, model, options)
