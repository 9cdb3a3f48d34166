"""Per-client runtime: the composition root.

It builds everything a client's calls share from the validated :class:`Settings` (store,
provider registry, the frozen stack from ``LAYERS``, the hooks from ``HOOKS``), owns every
thread, connection and exporter it starts, and closes them in reverse order of creation,
once. A ``Client`` and all its ``with_options()`` copies share one runtime; closing any of
them closes it (as they share openai's HTTP client).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from .._errors import ClientClosedError
from .._home import default_home
from .._request_ids import RequestIds
from .._threads import leave_signals_to_others
from ..providers import ProviderRegistry
from ..providers._catalog import merge_providers
from ..store import Store, iso_from_epoch
from ._hooks import Hook, Hooks
from ._memo import OptionsMemo
from ._settings import Settings
from ._stack import Interceptor

if TYPE_CHECKING:
    from ..alerts import AlertEngine
    from ..otel import OTelExporter
    from ..store._retention import RetentionTimer

__all__ = ["Runtime"]

T = TypeVar("T")


@runtime_checkable
class _Closeable(Protocol):
    def close(self) -> None: ...


def open_store(database_url: str | None, home: Path) -> Store:
    """The store a client logs to (``store._engine.store_location``)."""
    from ..store._engine import store_location

    return Store(store_location(database_url, home))


class Runtime:
    """Everything a client's calls share. Built once per ``Client``.

    ``store`` given: the caller owns it (it is flushed, not closed); otherwise the runtime
    opens ``<home>/helicone.db`` and drains it when closed or collected, unless another live
    client logs to it (``Client(store=client.store)``): then the store's own finalizer drains
    it once nothing refers to it, or at exit.
    """

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.clock = settings.clock
        self.monotonic = settings.monotonic
        self.rng = settings.rng
        self.home = Path(settings.home).expanduser() if settings.home else default_home()
        self.lock = threading.Lock()
        #: Helicone-Request-Id values given by users: each names one call (_request_ids.py)
        self.request_ids = RequestIds(
            self.home / "request-ids.db", in_store=self._logged, clock=settings.clock
        )
        #: unknown Helicone-* header names already warned about (once each, per client)
        self.warned_headers: set[str] = set()
        #: parsed option sets by their inputs, so repeated ones skip the parsing (_memo.py)
        self.options_memo = OptionsMemo()
        #: what close() closes, in creation order (closed in reverse)
        self._owned: list[tuple[str, Callable[[], object]]] = []
        self._closer = weakref.finalize(self, _close_all, self._owned)
        self._executor: ThreadPoolExecutor | None = None
        self._named: dict[str, Hook] = {}
        # Imported here, not at module level: the layers and their machinery (prompts, rate
        # limits, retry, cache) load with the first Client, not with `import helicone_lite`.
        from ._layers import HOOKS, Parts, build_stack

        try:
            self.store = (
                store
                if store is not None
                else self._own_store(open_store(settings.database_url, self.home))
            )
            self.store.clients.add(self)
            self.registry = ProviderRegistry(merge_providers(settings.providers))
            self.hooks = Hooks()
            self._parts = Parts(settings, self.home, self.store, self.registry, self.hooks)
            user = tuple(settings.interceptors)
            self.stack: tuple[Interceptor, ...] = build_stack(self._parts, user)
            for layer in self.stack:
                if isinstance(layer, _Closeable) and not any(layer is u for u in user):
                    self._own(type(layer).__name__, layer)
            for name, build in HOOKS:
                hook = build(self._parts)
                if hook is not None:
                    self._add_hook(name, hook)
            self.retention = self._retention()
        except BaseException:
            self.close()
            raise

    def _retention(self) -> RetentionTimer | None:
        """The pruning thread for ``retention_days`` (stopped by ``close()``)."""
        days = self.settings.retention_days
        if days is None:
            return None
        from ..store._retention import RetentionTimer

        def report(exc: Exception) -> None:
            logging.getLogger("helicone_lite").warning("helicone_lite retention: %s", exc)

        timer = RetentionTimer(self.store, float(days), clock=self.settings.clock, on_error=report)
        self._owned.append(("retention", timer.stop))
        return timer

    def _own(self, name: str, thing: T) -> T:
        close = getattr(thing, "close", None)
        if callable(close):
            self._owned.append((name, close))
        return thing

    def _own_store(self, store: Store) -> Store:
        # the writer thread stops with the client; the log stays readable (client.store.query).
        # Not while another client logs to it (``Client(store=this.store)``): then the store's
        # own finalizer drains it once nothing refers to it (or at exit), so dropping the
        # client that opened it never drops the other clients' rows.
        clients = store.clients
        self._owned.append(("store", lambda: None if any(clients) else store.drain()))
        return store

    def _add_hook(self, name: str, hook: Hook) -> None:
        self._own(name, hook)
        self._named[name] = hook
        self.hooks.add(hook)

    # --- state -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return not self._closer.alive

    def check_open(self) -> None:
        """Raise :class:`ClientClosedError` once the client is closed."""
        if not self._closer.alive:
            raise ClientClosedError(
                "helicone_lite: this client has been closed; create a new Client to make calls"
            )

    def _logged(self, request_id: str) -> bool:
        """Whether the store already has a row with this id (written rows only)."""
        found = self.store.query("SELECT 1 FROM requests WHERE id = ? LIMIT 1", (request_id,))
        return bool(found)

    @staticmethod
    def iso(epoch: float) -> str:
        return iso_from_epoch(epoch)

    # --- hooks -----------------------------------------------------------------------------

    @property
    def otel(self) -> OTelExporter | None:
        """The OpenTelemetry exporter, when ``otel=True`` / ``tracer_provider=`` ask for one."""
        return self._named.get("otel")  # type: ignore[return-value]

    @property
    def alert_engine(self) -> AlertEngine | None:
        """The alert engine, if this client has one (``alerts=`` or ``client.alerts`` used)."""
        return self._named.get("alerts")  # type: ignore[return-value]

    def alerts(self) -> AlertEngine:
        """The client's alert engine, created (and hooked) on first use."""
        from ._layers import alert_engine

        with self.lock:
            engine = self.alert_engine
            if engine is None:
                self.check_open()
                engine = alert_engine(self._parts)
                self._add_hook("alerts", engine)
            return engine

    # --- blocking work of the async driver ---------------------------------------------------

    async def run_blocking(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one of this runtime's worker threads (the async driver's ``Blocking``),
        with the caller's context variables."""
        executor = self._executor
        if executor is None:
            with self.lock:
                self.check_open()
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        thread_name_prefix="helicone-lite-io", initializer=leave_signals_to_others
                    )
                    self._owned.append(("executor", _shutdown(self._executor)))
                executor = self._executor
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(executor, context.run, fn)

    # --- flush and close --------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Let every hook finish what it was given (spans ended, alerts checked), then write
        every row to the store."""
        done = True
        for hook in self.hooks.all:
            done = hook.flush(timeout) and done
        return self.store.flush(timeout) and done

    def close(self) -> None:
        """Flush, then close everything this runtime opened, newest first. Idempotent; also
        run when the runtime is garbage-collected unclosed, and at interpreter exit."""
        store = getattr(self, "store", None)
        if store is not None:
            store.clients.discard(self)
        self._closer()


def _shutdown(executor: ThreadPoolExecutor) -> Callable[[], None]:
    return lambda: executor.shutdown(wait=True, cancel_futures=True)


def _close_all(owned: list[tuple[str, Callable[[], object]]]) -> None:
    """Close in reverse order of creation; one failure does not stop the others."""
    import logging

    while owned:
        name, close = owned.pop()
        try:
            close()
        except Exception:
            logging.getLogger("helicone_lite").warning(
                "helicone_lite: closing %s failed", name, exc_info=True
            )
