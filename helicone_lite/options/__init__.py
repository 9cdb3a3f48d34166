"""Options: the ``Helicone-*`` headers and their keyword forms, parsed into one typed object."""

from ._model import Options
from ._parse import (
    OPTION_HEADERS,
    check_unknown_headers,
    is_option_header,
    parse_headers,
    parse_kwargs,
    split_headers,
    unknown_headers,
)
from ._policy import policy_segment
from ._values import (
    CacheControl,
    FallbackTarget,
    RateLimitPolicy,
    parse_cache_control,
    parse_fallbacks,
    parse_policies,
)

__all__ = [
    "OPTION_HEADERS",
    "CacheControl",
    "FallbackTarget",
    "Options",
    "RateLimitPolicy",
    "check_unknown_headers",
    "is_option_header",
    "parse_cache_control",
    "parse_fallbacks",
    "parse_headers",
    "parse_kwargs",
    "parse_policies",
    "policy_segment",
    "split_headers",
    "unknown_headers",
]
