"""helicone_lite: Helicone's control plane, in process.

Replace ``OpenAI()`` with ``helicone_lite.Client()``; pass the ``Helicone-*`` headers you know
(or the same options as ``helicone={...}``) per call; every call is logged to a local SQLite
store you can query.

>>> import helicone_lite
>>> issubclass(helicone_lite.OptionsError, (helicone_lite.HeliconeLiteError, ValueError))
True
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._context import current_scope, properties, scope, session, user
from ._errors import ClientClosedError, HeliconeLiteError, OptionsError

if TYPE_CHECKING:  # imported on first use (see __getattr__)
    from ._client import AsyncClient, Client
    from ._raw import RawResponse
    from ._response import ChatCompletion, CreateEmbeddingResponse
    from ._streams import AsyncHeliconeStream, HeliconeStream, StreamClosedEarly
    from .alerts import AlertRule
    from .native import Anthropic, AsyncAnthropic, Gemini
    from .options import CacheControl, FallbackTarget, Options, RateLimitPolicy
    from .pipeline._call import Blocking, Call, Forward, Result, Sleep, StreamObserver, Target
    from .pipeline._settings import Settings
    from .pipeline._stack import Flow, Interceptor, PassThrough
    from .prompts import PromptError, PromptRegistry
    from .providers import ProviderConfig, ProviderNotConfigured
    from .reports import Filters, Reports, UnknownRequestError, UnknownSessionError
    from .store import Store, StoreError

__version__ = "0.1.0"

_LAZY = {
    # the client and what it returns import openai (~0.6 s here): the command line, which
    # reads the store, never pays for it
    "AsyncClient": "helicone_lite._client",
    "Client": "helicone_lite._client",
    "RawResponse": "helicone_lite._raw",
    "ChatCompletion": "helicone_lite._response",
    "CreateEmbeddingResponse": "helicone_lite._response",
    "AsyncHeliconeStream": "helicone_lite._streams",
    "HeliconeStream": "helicone_lite._streams",
    "StreamClosedEarly": "helicone_lite._streams",
    "AlertRule": "helicone_lite.alerts",
    "Anthropic": "helicone_lite.native",  # imports anthropic
    "AsyncAnthropic": "helicone_lite.native",
    "Gemini": "helicone_lite.native",  # imports google.genai
    "Filters": "helicone_lite.reports",
    "PromptError": "helicone_lite.prompts",
    "PromptRegistry": "helicone_lite.prompts",
    "Reports": "helicone_lite.reports",
    "UnknownRequestError": "helicone_lite.reports",
    "UnknownSessionError": "helicone_lite.reports",
    # what a client loads when it is built (options, settings, store) or first called (the
    # pipeline's call model): not with the package (issue 12: import <= openai + 60 ms)
    "CacheControl": "helicone_lite.options",
    "FallbackTarget": "helicone_lite.options",
    "Options": "helicone_lite.options",
    "RateLimitPolicy": "helicone_lite.options",
    "Blocking": "helicone_lite.pipeline._call",
    "Call": "helicone_lite.pipeline._call",
    "Forward": "helicone_lite.pipeline._call",
    "Result": "helicone_lite.pipeline._call",
    "Sleep": "helicone_lite.pipeline._call",
    "StreamObserver": "helicone_lite.pipeline._call",
    "Target": "helicone_lite.pipeline._call",
    "Settings": "helicone_lite.pipeline._settings",
    "Flow": "helicone_lite.pipeline._stack",
    "Interceptor": "helicone_lite.pipeline._stack",
    "PassThrough": "helicone_lite.pipeline._stack",
    "ProviderConfig": "helicone_lite.providers",
    "ProviderNotConfigured": "helicone_lite.providers",
    "Store": "helicone_lite.store",
    "StoreError": "helicone_lite.store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'helicone_lite' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AlertRule",
    "Anthropic",
    "AsyncAnthropic",
    "AsyncClient",
    "AsyncHeliconeStream",
    "Blocking",
    "CacheControl",
    "Call",
    "ChatCompletion",
    "Client",
    "ClientClosedError",
    "CreateEmbeddingResponse",
    "FallbackTarget",
    "Filters",
    "Flow",
    "Forward",
    "Gemini",
    "HeliconeLiteError",
    "HeliconeStream",
    "Interceptor",
    "Options",
    "OptionsError",
    "PassThrough",
    "PromptError",
    "PromptRegistry",
    "ProviderConfig",
    "ProviderNotConfigured",
    "RateLimitPolicy",
    "RawResponse",
    "Reports",
    "Result",
    "Settings",
    "Sleep",
    "Store",
    "StoreError",
    "StreamClosedEarly",
    "StreamObserver",
    "Target",
    "UnknownRequestError",
    "UnknownSessionError",
    "__version__",
    "current_scope",
    "properties",
    "scope",
    "session",
    "user",
]
