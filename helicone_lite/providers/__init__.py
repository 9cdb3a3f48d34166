"""Provider adapters and the registry that picks one for a model name."""

from ._base import Adapter, ProviderConfig
from ._catalog import DEFAULT_PROVIDERS, load_aliases, merge_providers
from ._errors import ProviderNotConfigured
from ._registry import ADAPTER_KINDS, ProviderRegistry, resolve_setting

__all__ = [
    "ADAPTER_KINDS",
    "DEFAULT_PROVIDERS",
    "Adapter",
    "ProviderConfig",
    "ProviderNotConfigured",
    "ProviderRegistry",
    "load_aliases",
    "merge_providers",
    "resolve_setting",
]
