"""Native clients: drop-ins for the providers' own SDKs, with helicone_lite's stack.

``Anthropic`` / ``AsyncAnthropic`` subclass ``anthropic.Anthropic`` / ``AsyncAnthropic``;
``Gemini`` subclasses ``google.genai.Client``. Their calls are logged in the same table as
:class:`helicone_lite.Client`'s (kinds ``anthropic.messages`` and ``gemini.generate_content``),
cached, rate-limited and retried by the same layers. The provider SDKs are imported on first
use of a name, so ``import helicone_lite`` imports neither. See docs/providers.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._anthropic import Anthropic, AsyncAnthropic
    from ._gemini import Gemini

__all__ = ["Anthropic", "AsyncAnthropic", "Gemini"]

_WHERE = {
    "Anthropic": "helicone_lite.native._anthropic",
    "AsyncAnthropic": "helicone_lite.native._anthropic",
    "Gemini": "helicone_lite.native._gemini",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'helicone_lite.native' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
