"""The recorder: the outermost layer, one request-log row per user call, whatever happens below.

It only captures references on the caller's path (a :class:`RequestCapture`: one object); the
row is assembled, its bodies serialised and the call priced on the store's writer thread
(``_request_row.py`` says what the capture may see change after the call and why that is
safe). A hook that wants the row as it is queued (``Hook.wants``) gets it built on the caller,
as before.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._prices import PriceTable
from .._streams import StreamClosedEarly
from ..pipeline._call import Call, Forward, Result, StreamObserver
from ..pipeline._stack import Flow
from ._request_row import CANCELLED, RequestCapture, status_of

if TYPE_CHECKING:
    from ..pipeline._hooks import Hook, Hooks
    from ._store import Store

__all__ = ["CANCELLED", "Recorder", "status_of"]

_log = logging.getLogger("helicone_lite")


class _OpenStreams:
    """Streams whose row is not written yet; written (as far as delivered) at exit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: set[_StreamRecord] = set()

    def close_all(self) -> None:
        with self.lock:
            records, self.records = list(self.records), set()
        for record in records:
            record.on_end(
                _OpenAtExit(f"stream still open at exit; {record.delivered} chunk(s) delivered")
            )


class _OpenAtExit(Exception):
    pass


class Recorder:
    """Writes one row to ``requests`` per call (success, provider error, local refusal,
    cancellation), and one per stream when it ends or, if still open, at exit."""

    def __init__(
        self,
        store: Store,
        hooks: Hooks,
        *,
        prices: PriceTable | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._hooks = hooks
        #: ``Client(prices=...)``, then ``<home>/prices.json``, then genai-prices
        self._prices = prices if prices is not None else PriceTable()
        #: the clock of ``Call.started`` (the runtime's injected monotonic clock)
        self.monotonic = monotonic
        self.open_streams = _OpenStreams()
        # Created after the store, so at exit it runs before the store's drain (finalizers
        # run newest first): open streams are logged, then written.
        weakref.finalize(self, self.open_streams.close_all)

    def handle(self, call: Call) -> Flow:
        try:
            result: Result = yield Forward(call)
        except BaseException as exc:  # cancelled or interrupted: the provider may have billed
            self.write(call, Result(error=exc), self.monotonic(), None, None)
            raise
        return self._answered(call, result)

    def handle_sync(
        self, call: Call, forward: Callable[[Call], Result], sleep: Callable[[float], None]
    ) -> Result:
        """``handle`` for the sync driver (pipeline/_stack.py): the same, without a generator."""
        try:
            result = forward(call)
        except BaseException as exc:  # cancelled or interrupted: the provider may have billed
            try:
                self.write(call, Result(error=exc), self.monotonic(), None, None)
            except Exception:  # as the generator driver's _interrupt: logged, exc goes on
                _log.exception("helicone_lite: a layer failed while being interrupted")
            raise
        return self._answered(call, result)

    def _answered(self, call: Call, result: Result) -> Result:
        call = result.sent or call  # as an inner layer rewrote it (prompts: rendered)
        result.headers.setdefault("Helicone-Id", call.id)
        if result.stream is not None and result.error is None:
            record = _StreamRecord(self, call, result)
            with self.open_streams.lock:
                self.open_streams.records.add(record)
            result.observe(record)
        else:
            self.write(call, result, self.monotonic(), None, None)
        return result

    def write(
        self,
        call: Call,
        result: Result,
        ended: float,
        ttft: float | None,
        chunks: list[Any] | None,
    ) -> None:
        """Queue the call's row: a capture the writer thread builds the row from."""
        capture = RequestCapture(call, result, ended, ttft, chunks, self._prices)
        hooks = self._hooks.all
        for hook in hooks:  # a loop, no list or helper: most calls want no hook
            wants = getattr(hook, "wants", None)
            if wants is None or wants(call):
                self._write_now(call, result, capture, hooks)
                return
        self._store.write_deferred("requests", capture)

    def _write_now(
        self, call: Call, result: Result, capture: RequestCapture, hooks: tuple[Hook, ...]
    ) -> None:
        """A hook reads the row now: build it here, as queued, and hand it to every hook
        that wants the call."""
        wanting = [hook for hook in hooks if _wants(hook, call)]
        row = capture.build(deferred=True)
        self._store.write("requests", row)
        for hook in wanting:
            hook.record(call, result, row)


def _wants(hook: Hook, call: Call) -> bool:
    wants = getattr(hook, "wants", None)
    return True if wants is None else bool(wants(call))


class _StreamRecord(StreamObserver):
    """Collects chunk references and the time of the first one; writes the row at the end."""

    __slots__ = ("_call", "_chunks", "_done", "_recorder", "_result", "_ttft")

    def __init__(self, recorder: Recorder, call: Call, result: Result) -> None:
        self._recorder, self._call, self._result = recorder, call, result
        self._chunks: list[Any] = []
        self._ttft: float | None = None
        self._done = False

    @property
    def delivered(self) -> int:
        return len(self._chunks)

    def on_chunk(self, chunk: Any) -> None:
        if self._ttft is None:
            self._ttft = self._recorder.monotonic()
        self._chunks.append(chunk)

    def on_end(self, error: BaseException | None) -> None:
        open_streams = self._recorder.open_streams
        with open_streams.lock:
            if self._done:
                return  # written at exit already, or ended twice
            self._done = True
            open_streams.records.discard(self)
        result = self._result
        if isinstance(error, _OpenAtExit):
            result.log.setdefault("error", str(error))
        elif error is not None and not isinstance(error, StreamClosedEarly):
            result.error = error
        elif isinstance(error, StreamClosedEarly):
            result.log.setdefault("error", "stream closed by the caller before its end")
        self._recorder.write(self._call, result, self._recorder.monotonic(), self._ttft, self._chunks)
