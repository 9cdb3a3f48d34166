"""The exporter a client attaches to its recorder: ``Client(otel=True)`` / ``tracer_provider=``."""

from __future__ import annotations

import importlib
import logging
import threading
import weakref
from typing import TYPE_CHECKING, Any

from ..pipeline._call import Call, Result
from ._worker import Worker

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from ._spans import SpanBuilder

__all__ = ["INSTALL_HINT", "OTelExporter"]

INSTALL_HINT = "pip install 'helicone-lite[otel]'"
_log = logging.getLogger("helicone_lite")


def _spans_module() -> Any:
    try:
        return importlib.import_module(f"{__package__}._spans")
    except ImportError as exc:
        raise ImportError(
            "helicone_lite: OpenTelemetry export (otel=True / tracer_provider=) needs the "
            f"'otel' extra: {INSTALL_HINT}"
        ) from exc


class OTelExporter:
    """Exports each logged call as one OpenTelemetry span (GenAI conventions + ``helicone.*``).

    The recorder calls :meth:`record` after queuing the call's log row; that only queues a
    reference (plus the application's active span), and a background thread builds the span
    with the call's own start and end times and hands it to the tracer provider's span
    processors. Nothing here can fail or block the user's call: errors are logged once
    (``logging.getLogger("helicone_lite")``) and a full queue drops spans, counted in
    :meth:`stats`.

    >>> from opentelemetry.sdk.trace import TracerProvider              # doctest: +SKIP
    >>> client = helicone_lite.Client(tracer_provider=TracerProvider())  # doctest: +SKIP
    """

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        *,
        capture_content: bool = False,
        max_queue: int = 10_000,
    ) -> None:
        spans = _spans_module()
        self._current = spans.current_span_context
        self._builder: SpanBuilder = spans.SpanBuilder(
            spans.tracer_for(tracer_provider), capture_content=capture_content
        )
        self._worker = Worker(self._builder.emit, max_queue=max_queue, name="helicone-lite-otel")
        self._lock = threading.Lock()
        self._reported = False
        weakref.finalize(self, self._worker.stop)

    def record(self, call: Call, result: Result, row: dict[str, Any]) -> None:
        """The recorder's hook: queue the call for export (microseconds; never raises)."""
        try:
            self._worker.submit((call, result, row, self._current()))
        except Exception:
            with self._lock:
                if self._reported:
                    return
                self._reported = True
            _log.warning("helicone_lite: OpenTelemetry export failed", exc_info=True)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every call recorded so far has its span ended (handed to the span
        processors; a ``BatchSpanProcessor`` exports on its own schedule, or on the
        provider's ``force_flush()``)."""
        return self._worker.flush(timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        """End the spans of what is queued, then stop the worker thread. Idempotent."""
        self._worker.stop(timeout)

    def stats(self) -> dict[str, int]:
        """Spans ``handled`` (ended), ``queued``, ``dropped`` (queue full) and ``failed``."""
        return self._worker.stats()
