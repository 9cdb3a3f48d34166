"""Options: the ``Helicone-*`` headers and their keyword forms, parsed into one typed object."""

from ._model import Options
from ._parse import (
    OPTION_HEADERS,
)
from ._values import (
    CacheControl,
    FallbackTarget,
    RateLimitPolicy,
)

__all__ = [
    "OPTION_HEADERS",
    "CacheControl",
    "FallbackTarget",
    "Options",
    "RateLimitPolicy",
]
