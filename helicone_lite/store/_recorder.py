"""The recorder: the outermost layer, one request-log row per user call, whatever happens below.

It only gathers references on the caller's path; serialising bodies, assembling streams and
pricing happen in the store's writer thread (row values that are callables are evaluated there).
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._cost import Usage, cost_usd
from .._errors import http_status
from .._kinds import kind_of, usage_of
from .._prices import PriceTable
from .._redact import redact
from .._streams import StreamClosedEarly
from ..pipeline._call import Call, Forward, Result, StreamObserver
from ..pipeline._stack import Flow
from ._time import iso_from_epoch

if TYPE_CHECKING:
    from ..pipeline._hooks import Hooks
    from ._store import Store

__all__ = ["CANCELLED", "Recorder"]

#: ``requests.status`` of a call cancelled or interrupted before its answer (nginx's "client
#: closed request"): asyncio cancellation/timeout, KeyboardInterrupt, SystemExit.
CANCELLED = 499
_INTERRUPTS = (asyncio.CancelledError, KeyboardInterrupt, SystemExit, GeneratorExit)


def status_of(error: BaseException | None) -> int:
    if error is None:
        return 200
    if isinstance(error, _INTERRUPTS):
        return CANCELLED
    return http_status(error) or 0


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
        """Queue the row (cheap: references and numbers only)."""
        row = self._row(call, result, ended, ttft, chunks)
        self._store.write("requests", row)
        for hook in self._hooks.all:
            hook.record(call, result, row)

    def _row(
        self,
        call: Call,
        result: Result,
        ended: float,
        ttft: float | None,
        chunks: list[Any] | None,
    ) -> dict[str, Any]:
        opts, log = call.options, result.log
        error = result.error
        response = result.response
        kind = kind_of(call.kind)
        if chunks is not None and error is None and kind is not None:
            usage = kind.usage(chunks)
            response_model = kind.model(chunks)
        else:
            usage = usage_of(response) if response is not None else {}
            response_model = getattr(response, "model", None)
        target = (
            call.targets[log.get("fallback_index", call.target_index)] if call.targets else None
        )
        row: dict[str, Any] = {
            "id": call.id,
            "created_at": functools.partial(iso_from_epoch, call.started_wall),
            "kind": call.kind,
            "provider": log.get("provider") or (target.provider if target else None),
            "model": call.model,
            "response_model": log.get("response_model", response_model),
            "status": log.get("status", status_of(error)),
            "error": None if error is None else redact(_error_text(error)),
            "stream": int(call.stream),
            "latency_ms": round((ended - call.started) * 1000, 3),
            "ttft_ms": None if ttft is None else round((ttft - call.started) * 1000, 3),
            "user_id": opts.user_id,
            "session_id": opts.session_id,
            "session_path": opts.session_path,
            "session_name": opts.session_name,
            "properties": dict(opts.properties),
            "prompt_id": opts.prompt_id,
            "prompt_version": opts.prompt_version,
            "prompt_environment": opts.prompt_environment,
            "prompt_inputs": dict(opts.prompt_inputs) if opts.prompt_inputs is not None else None,
            "request_body": _request_body(call),
            "response_body": _response_body(call, response, chunks, error),
            "reply_headers": dict(result.headers),
            **usage,
        }
        row.update(log)
        if "cost_usd" not in row:
            # once: the store's writer and an exporter's hook may both want the price
            row["_cost"] = functools.cache(_pricer(call, target, row, self._prices))
        return row


def _error_text(error: BaseException) -> str:
    if isinstance(error, _INTERRUPTS):
        return f"{type(error).__name__}: call cancelled or interrupted before its answer"
    return f"{type(error).__name__}: {error}"


def _stream_usage(chunks: list[Any]) -> dict[str, int]:
    for chunk in reversed(chunks):
        if chunk.usage is not None:
            return usage_of(chunk)
    return {}


def _pricer(
    call: Call, target: Any, row: dict[str, Any], prices: PriceTable
) -> Callable[[], float | None]:
    if row.get("status") != 200 and not row.get("prompt_tokens"):
        return lambda: None
    model = (
        call.options.model_override
        or row.get("response_model")
        or (target.model if target else call.model)
    )
    provider = target.adapter.price_provider if target is not None else None
    usage = Usage(
        prompt_tokens=row.get("prompt_tokens") or 0,
        completion_tokens=row.get("completion_tokens") or 0,
        cached_tokens=row.get("cached_tokens") or 0,
        cache_write_tokens=row.get("cache_write_tokens") or 0,
    )
    if prices:  # your prices first: the name priced, else the model asked for
        asked = target.model if target is not None else call.model
        own = prices.find(model) or (None if call.options.model_override else prices.find(asked))
        if own is not None and row.get("status") == 200:
            return lambda: own.cost(usage)
    if not usage.prompt_tokens and not usage.completion_tokens:
        return lambda: None
    return lambda: cost_usd(model, provider, usage)


def _request_body(call: Call) -> Callable[[], str]:
    if call.options.omit_request:
        omitted = json.dumps({"model": call.model})
        return lambda: omitted
    params = call.params
    return lambda: json.dumps(params, default=_jsonable)


def _response_body(
    call: Call, response: Any, chunks: list[Any] | None, error: BaseException | None
) -> Callable[[], str | None]:
    if call.options.omit_response:
        return lambda: json.dumps({"model": getattr(response, "model", call.model)})
    kind = kind_of(call.kind)
    if chunks is not None and kind is not None:
        return lambda: json.dumps(kind.final(chunks))
    if response is not None and hasattr(response, "model_dump_json"):
        return lambda: str(response.model_dump_json(exclude_unset=True, by_alias=True))
    if error is not None and http_status(error) is not None:  # any SDK's (genai: ``details``)
        body = getattr(error, "body", None) or getattr(error, "details", None)
        return lambda: redact(json.dumps(body, default=str)) if body is not None else None
    return lambda: None


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return repr(value)


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
