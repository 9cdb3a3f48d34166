"""Model name -> provider adapter, from data (no if/elif over provider names).

The registry holds one :class:`ProviderConfig` per provider; each config's ``models`` globs say
which model names go there, and its ``kind`` names the adapter class (imported on first use, so
``import helicone_lite`` never imports a provider SDK it does not need). A model no glob
matches goes to the client's own OpenAI endpoint, exactly as ``openai.OpenAI()`` would send it.

The ``model/provider`` rule: in ``a/b``, ``b`` names a provider only when it is the name of a
configured provider (``llama-3.1-8b-instant/groq``); otherwise the whole string is the model
id (``meta-llama/Llama-3.3-70B-Instruct``, ``anthropic/claude-sonnet-4`` for OpenRouter).
Aliases (``aliases.json``) apply to the model part: ``claude-sonnet-4`` ->
``claude-sonnet-4-20250514``.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import OptionsError
from ..pipeline._call import Target
from ._base import Adapter, ProviderConfig, resolve_setting
from ._catalog import DEFAULT_PROVIDERS, load_aliases

if TYPE_CHECKING:
    from ..pipeline._call import Call

__all__ = ["ADAPTER_KINDS", "DEFAULT_PROVIDERS", "ProviderRegistry", "resolve_setting"]

#: passed checks a registry remembers before it starts over (:meth:`ProviderRegistry.check`)
CHECKED_LIMIT = 512

#: adapter kind -> "module:Class"
ADAPTER_KINDS: Mapping[str, str] = {
    "openai": "helicone_lite.providers.openai:OpenAIAdapter",
    "anthropic": "helicone_lite.providers.anthropic:AnthropicAdapter",
    "gemini": "helicone_lite.providers.gemini:GeminiAdapter",
}


class ProviderRegistry:
    """Configured providers, aliases and adapters (adapters built lazily, once per client).

    >>> registry = ProviderRegistry()
    >>> registry.split("llama-3.1-8b-instant/groq"), registry.split("meta-llama/Llama-3-8B")
    (('groq', 'llama-3.1-8b-instant'), ('openai', 'meta-llama/Llama-3-8B'))
    >>> registry.split("claude-sonnet-4")
    ('anthropic', 'claude-sonnet-4-20250514')
    """

    def __init__(
        self,
        providers: Iterable[ProviderConfig] = DEFAULT_PROVIDERS,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self._configs: dict[str, ProviderConfig] = {}
        for config in providers:
            if config.kind not in ADAPTER_KINDS:
                raise OptionsError(f"providers[{config.name}].kind", config.kind, _kinds())
            self._configs[config.name] = config
        self._patterns = [
            (re.compile(fnmatch.translate(glob), re.IGNORECASE), config.name)
            for config in self._configs.values()
            for glob in config.models
        ]
        loaded = load_aliases() if aliases is None else aliases
        self._aliases = {name.lower(): target for name, target in loaded.items()}
        self._adapters: dict[str, Adapter] = {}
        self._lock = threading.Lock()
        # calls that passed check(), per (targets, index, kind, origin): see check()
        self._checked: dict[tuple[int, int, str, int], tuple[tuple[Target, ...], Any]] = {}

    @property
    def providers(self) -> Mapping[str, ProviderConfig]:
        return dict(self._configs)

    @property
    def aliases(self) -> Mapping[str, str]:
        return dict(self._aliases)

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

    def alias(self, model: str) -> str:
        """The model id an alias stands for (the name itself when it is no alias)."""
        return self._aliases.get(model.lower(), model)

    def split(self, model: str) -> tuple[str, str]:
        """``(provider, model id)`` for a model string (``model`` or ``model/provider``)."""
        head, sep, tail = model.rpartition("/")
        if sep and head and tail in self._configs:
            return tail, self.alias(head)
        model = self.alias(model)
        head, sep, tail = model.rpartition("/")  # an alias may name its provider
        if sep and head and tail in self._configs:
            return tail, head
        return self.provider_for(model), model

    def is_known_model(self, name: str) -> bool:
        """Whether ``name`` is a model this registry recognises: an alias, a match of a
        provider's ``models`` globs, or ``model/provider`` with a configured provider.

        Used to read ``gpt-4o/claude-sonnet-4`` as a chain of two known models.
        """
        head, sep, tail = name.rpartition("/")
        if sep and head and tail in self._configs:
            return True
        if name.lower() in self._aliases:
            return True
        return any(pattern.match(name) for pattern, _ in self._patterns)

    def target(self, model: str, **overrides: Any) -> Target:
        """One target for a model string (``model`` or ``model/provider``, aliases applied)."""
        name, model_id = self.split(model)
        return Target(provider=name, model=model_id, adapter=self.adapter(name), **overrides)

    def resolve(self, model: str, options: Any = None) -> tuple[Target, ...]:
        """The targets of a call, in order (the fallback chain; one target without one)."""
        from ._chain import resolve_chain  # the chain rules: see _chain.py

        return resolve_chain(self, model, options)

    def check(self, call: Call) -> None:
        """Raise :class:`ProviderNotConfigured` if a target of ``call`` lacks its key or base
        URL (before anything is sent: a misconfigured fallback fails fast too).

        Targets that cannot serve the call's kind (an Anthropic model in a Responses call's
        chain) are left for the fallback layer to skip, with the reason in its attempts; only
        a call that no target can serve is refused here.

        A pass is remembered per (targets tuple, target index, kind, origin client) when every
        target's adapter has ``fixed_check`` (its ``serves`` and ``check`` read only those: the
        OpenAI adapter sending through the user's own client, whose key the openai SDK read
        once, at construction). Adapters that read a key from the environment are asked on
        every call, so a key set after the client was built is seen; failures are never
        remembered. The targets are pinned and the origin weakly referenced, so neither id is
        reused while its entry lives; bounded by :data:`CHECKED_LIMIT`.
        """
        key = (id(call.targets), call.target_index, call.kind, id(call.origin))
        seen = self._checked.get(key)
        if seen is not None and seen[0] is call.targets and seen[1]() is call.origin:
            return
        self._check(call)
        if call.origin is None or not all(
            getattr(target.adapter, "fixed_check", False) is True for target in call.targets
        ):
            return
        if len(self._checked) >= CHECKED_LIMIT:
            self._checked.clear()
        try:
            self._checked[key] = (call.targets, weakref.ref(call.origin))
        except TypeError:  # an origin that cannot be weakly referenced: asked every time
            return

    def _check(self, call: Call) -> None:
        able = [i for i in range(len(call.targets)) if serves(_at(call, i))]
        for index in able or range(len(call.targets)):
            checker = getattr(call.targets[index].adapter, "check", None)
            if checker is not None:  # no copy for the call's own target (the common case)
                checker(call if index == call.target_index else call.evolve(target_index=index))


def _at(call: Call, index: int) -> Call:
    """``call`` aimed at target ``index`` (itself, without a copy, for its own target)."""
    return call if index == call.target_index else call.evolve(target_index=index)


def serves(call: Call) -> bool:
    """Whether ``call.target``'s adapter can send a call of ``call.kind``."""
    able = getattr(call.target.adapter, "serves", None)
    return True if able is None else bool(able(call))


def _kinds() -> str:
    return ", ".join(ADAPTER_KINDS)
