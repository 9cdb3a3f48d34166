"""Per-client runtime: settings, store, provider registry and the frozen interceptor stack.

A ``Client`` and all its ``with_options()`` copies share one runtime.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._call import Call, Result
from ._errors import OptionsError
from ._home import default_home
from ._layers import build_stack
from ._settings import Settings
from ._stack import Interceptor
from .providers import ProviderRegistry, merge_providers
from .store import Store, iso_from_epoch

if TYPE_CHECKING:
    from .otel import OTelExporter
    from .store._retention import RetentionTimer

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
        #: unknown Helicone-* header names already warned about (once each, per client)
        self.warned_headers: set[str] = set()
        #: hooks called with (call, result, row) after each row is queued (alerts, exporters);
        #: ``row`` is the request-log row as queued (callables are evaluated by the writer).
        self.on_record: list[Callable[[Call, Result, dict[str, Any]], None]] = []
        self.stack: tuple[Interceptor, ...] = build_stack(self, tuple(settings.interceptors))
        self.otel = _otel_exporter(settings)
        if self.otel is not None:
            self.on_record.append(self.otel.record)
        self.retention = _retention(settings, self.store)

    @staticmethod
    def iso(epoch: float) -> str:
        return iso_from_epoch(epoch)

    def flush(self, timeout: float | None = None) -> bool:
        """Hand every span so far to the tracer provider, and write every row to the store."""
        exported = self.otel.flush(timeout) if self.otel is not None else True
        return self.store.flush(timeout) and exported

    def close(self) -> None:
        if self.retention is not None:
            self.retention.stop()
        self.store.flush()
        self.flush()


def _retention(settings: Settings, store: Store) -> RetentionTimer | None:
    """The pruning thread for ``retention_days`` (validated first: before any call)."""
    days = settings.retention_days
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not days > 0:
        raise OptionsError("retention_days", days, "a number of days above 0, or None")
    from .store._retention import RetentionTimer

    def report(exc: Exception) -> None:
        logging.getLogger("helicone_lite").warning("helicone_lite retention: %s", exc)

    return RetentionTimer(store, float(days), clock=settings.clock, on_error=report)


def _otel_exporter(settings: Settings) -> OTelExporter | None:
    if not settings.otel and settings.tracer_provider is None:
        return None  # opentelemetry is imported only by clients that ask for it
    from .otel import OTelExporter

    return OTelExporter.from_settings(settings)
