"""Provider adapters and the registry that picks one for a model name."""

from ._base import Adapter, ProviderConfig
from ._catalog import DEFAULT_PROVIDERS
from ._errors import ProviderNotConfigured
from ._registry import ProviderRegistry

__all__ = [
    "DEFAULT_PROVIDERS",
    "Adapter",
    "ProviderConfig",
    "ProviderNotConfigured",
    "ProviderRegistry",
]
