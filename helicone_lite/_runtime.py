"""Per-client runtime: settings, store, provider registry and the frozen interceptor stack.

A ``Client`` and all its ``with_options()`` copies share one runtime.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ._call import Call, Result
from ._home import default_home
from ._layers import build_stack
from ._settings import Settings
from ._stack import Interceptor
from .providers import ProviderRegistry, merge_providers
from .store import Store, iso_from_epoch

__all__ = ["Runtime"]


class Runtime:
    """Everything a client's calls share. Built once per ``Client``."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.home = Path(settings.home).expanduser() if settings.home else default_home()
        self.store = store if store is not None else Store(self.home / "helicone.db")
        self.registry = ProviderRegistry(merge_providers(settings.providers))
        self.clock = settings.clock
        self.monotonic = settings.monotonic
        self.rng = settings.rng
        self.lock = threading.Lock()
        #: hooks called with (call, result) after each row is queued (alerts, exporters).
        self.on_record: list[Callable[[Call, Result], None]] = []
        self.stack: tuple[Interceptor, ...] = build_stack(self, tuple(settings.interceptors))

    @staticmethod
    def iso(epoch: float) -> str:
        return iso_from_epoch(epoch)

    def close(self) -> None:
        self.store.flush()
