"""A finished call as the recorder captures it, and the ``requests`` row built from it.

The caller's thread only fills a :class:`RequestCapture` (references and a few numbers: one
object); the store's writer thread calls :meth:`RequestCapture.build` to assemble the row, and
the row's deferred values (bodies, error redaction, the price) are evaluated there one by one,
so a value that cannot be computed is stored as NULL and the rest of the row is kept.

Why so little on the caller (issue 12): besides the CPU, every container object a queued row
keeps alive counts towards the garbage collector's next collection, and rows that wait for a
group commit survive into the older generations; a row that held the call's ``Result``, its
response model and a dozen closures made each call pay ~20-40 µs of collections (measured with
``gc.callbacks``: 140 young collections and one full one per 3,000 calls, against one young
collection for raw openai). A capture holds about ten container objects.

What the capture may see change after the call returns, and why that is safe:

* the request: ``call.params`` is the dict ``build_call`` made for this call, and its
  ``messages``/``tools``/``input`` lists are copies (``pipeline/_invoke._normalise_params``), so
  a caller appending to its ``messages`` list after the call does not change the logged
  request. The message dicts themselves are shared (copying them deeply would cost the caller
  what serialising costs): a caller that edits a message dict in place before the writer ran
  (typically < 20 ms) may see the edit in the log.
* the response: when the adapter parsed it from the provider's bytes unchanged
  (``Result.wire``: openai), the row stores those bytes as received, never the model the user
  got back, so a user mutating the response cannot change the log, and the writer does not
  re-serialise it. Otherwise (translated replies, cache hits without bytes, other SDKs) the
  writer serialises the response model with ``model_dump_json``, as before.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Mapping
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from types import MappingProxyType
from typing import Any

from .._cost import Usage, cost_of_counts, cost_usd
from .._errors import http_status
from .._kinds import kind_of, usage_of
from .._prices import PriceTable
from .._redact import redact
from ..pipeline._call import Call, Result
from ._errors import LOGGER
from ._rows import PLAIN_TYPES as _PLAIN_TYPES
from ._rows import evaluate_cost, evaluate_deferred
from ._time import iso_from_epoch

__all__ = ["CANCELLED", "RequestCapture", "status_of"]

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


class RequestCapture:
    """One finished call, as cheap to take on the caller's thread as it can be."""

    __slots__ = (
        "call",
        "chunks",
        "ended",
        "error",
        "headers",
        "log",
        "prices",
        "response",
        "response_model",
        "ttft",
        "usage",
        "wire",
    )

    def __init__(
        self,
        call: Call,
        result: Result,
        ended: float,
        ttft: float | None,
        chunks: list[Any] | None,
        prices: PriceTable,
    ) -> None:
        self.call, self.ended, self.ttft, self.chunks, self.prices = (
            call,
            ended,
            ttft,
            chunks,
            prices,
        )
        self.error, self.log, self.headers = result.error, result.log, result.headers
        response = result.response
        wire = result.wire
        if chunks is None and response is not None:
            # read now: the user gets the model back and may change it
            self.usage: dict[str, int] | None = usage_of(response)
            self.response_model = getattr(response, "model", None)
        else:
            self.usage, self.response_model = None, None
        if wire is not None and wire[0] is response and chunks is None:
            self.wire: bytes | None = wire[1]
            self.response: Any = None  # the model goes back to the user only
        else:
            self.wire, self.response = None, response

    def build(self, *, deferred: bool = False) -> dict[str, Any]:
        """The ``requests`` row, on the writer thread: bodies serialised, call priced.

        ``deferred=True`` (a hook reads the row on the caller's thread): the bodies and the
        price stay zero-argument callables the writer evaluates later (``_cost`` memoised, so
        a hook and the writer price once). A body or price that cannot be computed is NULL;
        the rest of the row is kept.
        """
        call, log, error = self.call, self.log, self.error
        opts = call.options
        chunks = self.chunks
        kind = kind_of(call.kind)
        if chunks is not None and error is None and kind is not None:
            usage, response_model = kind.usage(chunks), kind.model(chunks)
        else:
            usage, response_model = self.usage or {}, self.response_model
        target = (
            call.targets[log.get("fallback_index", call.target_index)] if call.targets else None
        )
        started = call.started
        params = call.params
        ttft = self.ttft
        row: dict[str, Any] = {
            "id": call.id,
            "created_at": iso_from_epoch(call.started_wall),
            "kind": call.kind,
            "provider": log.get("provider") or (target.provider if target else None),
            "model": str(params.get("model", "")),  # call.model
            "response_model": log.get("response_model", response_model),
            "status": log.get("status", status_of(error)),
            "error": None if error is None else _error_text(error),
            "stream": int(bool(params.get("stream"))),  # call.stream
            "latency_ms": round((self.ended - started) * 1000, 3),
            "ttft_ms": None if ttft is None else round((ttft - started) * 1000, 3),
            "user_id": opts.user_id,
            "session_id": opts.session_id,
            "session_path": opts.session_path,
            "session_name": opts.session_name,
            "properties": _copied(opts.properties),
            "prompt_id": opts.prompt_id,
            "prompt_version": opts.prompt_version,
            "prompt_environment": opts.prompt_environment,
            "prompt_inputs": dict(opts.prompt_inputs) if opts.prompt_inputs is not None else None,
            "request_body": functools.partial(_request_json, call) if deferred else None,
            "response_body": self._response_text if deferred else None,
            "reply_headers": dict(self.headers),
            **usage,
        }
        if log:
            row.update(log)
            if not deferred and not _PLAIN_TYPES.issuperset(map(type, log.values())):
                evaluate_deferred(row, log)  # a user layer's log value may be a callable
        priced = "cost_usd" in row
        if deferred:
            if not priced:
                # once: the store's writer and an exporter's hook may both want the price
                row["_cost"] = _Once(_pricer(call, target, row, self.prices))
            return row
        self._evaluate(row, target, priced)
        return row

    def _evaluate(self, row: dict[str, Any], target: Any, priced: bool) -> None:
        """The bodies and the price, here rather than in the writer's generic pass over the
        row's values: no closure, memo or ``callable``/``hasattr`` probe (issue 12, item 3)."""
        call = self.call
        if "request_body" in self.log:  # a layer's own value: as the generic pass treated it
            row["request_body"] = _computed(row["request_body"])
        else:
            row["request_body"] = _computed(_request_json, call)
        row["response_body"] = _computed(self._response_text)
        if not priced:
            row["cost_usd"] = _price(call, target, row, self.prices)

    def fallback(self) -> dict[str, Any]:
        """The row when :meth:`build` failed (a bug): the call is still counted."""
        call = self.call
        return {
            "id": call.id,
            "kind": call.kind,
            "model": call.model,
            "status": status_of(self.error),
            "error": "helicone_lite: this call's log row could not be built",
        }

    def _response_text(self) -> str | None:
        call, error, response, chunks = self.call, self.error, self.response, self.chunks
        if call.options.omit_response:
            model = self.response_model or getattr(response, "model", None) or call.model
            return json.dumps({"model": model})
        wire = self.wire
        if wire is not None:
            return wire.decode("utf-8", errors="replace")
        kind = kind_of(call.kind)
        if chunks is not None and kind is not None:
            return json.dumps(kind.final(chunks))
        if response is not None and hasattr(response, "model_dump_json"):
            return str(response.model_dump_json(exclude_unset=True, by_alias=True))
        if error is not None and http_status(error) is not None:  # any SDK's (genai: ``details``)
            body = getattr(error, "body", None) or getattr(error, "details", None)
            return redact(json.dumps(body, default=str)) if body is not None else None
        return None


class _Once:
    """A zero-argument function's value, computed on the first call only (cheaper to make
    than ``functools.cache``, which copies the wrapped function's attributes)."""

    __slots__ = ("_fn", "_value")

    def __init__(self, fn: Callable[[], float | None]) -> None:
        self._fn: Callable[[], float | None] | None = fn
        self._value: float | None = None

    def __call__(self) -> float | None:
        fn = self._fn
        if fn is not None:
            self._value, self._fn = fn(), None
        return self._value


def _computed(fn: Callable[..., str | None], *args: Any) -> str | None:
    """``fn(*args)``, or None when it fails: one value is lost, never the row."""
    try:
        return fn(*args)
    except Exception:
        LOGGER.debug("helicone_lite store: a logged body could not be serialised", exc_info=True)
        return None


def _error_text(error: BaseException) -> str:
    if isinstance(error, _INTERRUPTS):
        text = f"{type(error).__name__}: call cancelled or interrupted before its answer"
    else:
        text = f"{type(error).__name__}: {error}"
    return redact(text)


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


def _price(call: Call, target: Any, row: dict[str, Any], prices: PriceTable) -> float | None:
    """``evaluate_cost(_pricer(call, target, row, prices))``: the same figure, without the
    closure and, where genai-prices' rates are linear, the ``Usage`` (the writer prices
    every row)."""
    if prices or (row.get("status") != 200 and not row.get("prompt_tokens")):
        return evaluate_cost(_pricer(call, target, row, prices))
    prompt, completion = row.get("prompt_tokens") or 0, row.get("completion_tokens") or 0
    if not prompt and not completion:
        return None
    model = (
        call.options.model_override
        or row.get("response_model")
        or (target.model if target else call.model)
    )
    provider = target.adapter.price_provider if target is not None else None
    cached, written = row.get("cached_tokens") or 0, row.get("cache_write_tokens") or 0
    return evaluate_cost(cost_of_counts, model, provider, prompt, completion, cached, written)


def _request_json(call: Call) -> str:
    if call.options.omit_request:
        return json.dumps({"model": call.model})
    return _REQUEST_ENCODER(call.params)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return repr(value)


def _copied(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A dict of ``properties``: ``Options`` keeps a read-only proxy of a dict, whose
    ``copy()`` is the dict's own (a sixth of ``dict(proxy)``, which goes through the mapping
    protocol key by key); the same items in the same order."""
    if type(properties) is MappingProxyType:
        copy = properties.copy()
        if type(copy) is dict:
            return copy
    return dict(properties)


def _request_encoder() -> Callable[[Any], str]:
    """``json.dumps(params, default=_jsonable)``: the same text (the default separators,
    ASCII escapes), through the C encoder made once rather than per row as
    ``JSONEncoder.encode`` does (a closure, a markers dict and the encoder each time: half
    the cost of a short request). Without the circular-reference check: a body that refers
    to itself raises RecursionError instead of ValueError, and either way the body is NULL
    (``_computed``). Immutable once made."""
    if c_make_encoder is None:  # pragma: no cover - CPython has the accelerator
        return json.JSONEncoder(default=_jsonable).encode
    encoder = c_make_encoder(
        None, _jsonable, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )

    def encode(params: Any) -> str:
        return "".join(encoder(params, 0))

    return encode


_REQUEST_ENCODER = _request_encoder()
