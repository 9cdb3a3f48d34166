"""Provider adapters and the registry that picks one for a model name."""

from ._base import Adapter, ProviderConfig
from ._registry import DEFAULT_PROVIDERS, ProviderRegistry, resolve_setting

__all__ = ["DEFAULT_PROVIDERS", "Adapter", "ProviderConfig", "ProviderRegistry", "resolve_setting"]
