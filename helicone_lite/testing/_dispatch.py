"""From a request to an answer: route table lookup, script consumption, recording."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, MutableMapping
from typing import Any

from . import _anthropic, _gemini, _openai, _responses
from ._book import Book, RecordedRequest
from ._outcomes import Fault, Outcome, Reply
from ._wire import Answer, Exchange, Incoming, Protocol, Route, WireError, dumps, reason_phrase

logger = logging.getLogger("helicone_lite.testing")

PROTOCOLS: tuple[Protocol, ...] = (
    _openai.PROTOCOL,
    _responses.PROTOCOL,
    _anthropic.PROTOCOL,
    _gemini.PROTOCOL,
)

_Match = tuple[Route, Protocol, dict[str, str]]


class Router:
    """The route tables of every protocol, looked up by method then path (first match)."""

    def __init__(self, protocols: tuple[Protocol, ...] = PROTOCOLS) -> None:
        table: dict[str, list[tuple[Route, Protocol]]] = {}
        for protocol in protocols:
            for route in protocol.routes:
                table.setdefault(route.method, []).append((route, protocol))
        self._table = table

    def match(self, method: str, path: str) -> _Match | None:
        for route, protocol in self._table.get(method, ()):
            found = route.pattern.fullmatch(path)
            if found:
                return route, protocol, found.groupdict()
        return None


class Dispatcher:
    """Turns each incoming request into an answer (and the fault to play, if any)."""

    def __init__(self, book: Book, router: Router | None = None) -> None:
        self._book = book
        self._router = router or Router()

    def __call__(self, incoming: Incoming) -> tuple[Answer, Fault | None]:
        found = self._router.match(incoming.method, incoming.path)
        if found is None:
            self._record(incoming, None, None, None, inference=False)
            return _unknown_route(incoming), None
        route, protocol, params = found
        try:
            data, parse_error = incoming.parse_json(), None
        except WireError as err:
            data, parse_error = None, err
        model = params.get("model") or _body_model(data)
        inference = route.inference and parse_error is None
        record = self._record(incoming, route, protocol, data, model=model, inference=inference)
        if parse_error is not None:
            return _error_answer(protocol, record.seq, parse_error), None
        return _respond(route, protocol, record, incoming, params, self._book.memory)

    def _record(
        self,
        incoming: Incoming,
        route: Route | None,
        protocol: Protocol | None,
        data: Any,
        model: str | None = None,
        *,
        inference: bool,
    ) -> RecordedRequest:
        endpoint = route.endpoint if route else "unknown"
        stream = (route is not None and route.streaming) or (
            isinstance(data, dict) and data.get("stream") is True
        )

        def make(seq: int, outcome: Outcome | None) -> RecordedRequest:
            return RecordedRequest(
                seq=seq,
                method=incoming.method,
                path=incoming.path,
                query=incoming.query,
                headers=incoming.headers,
                body=incoming.body,
                json=data,
                protocol=protocol.name if protocol else "unknown",
                endpoint=endpoint,
                model=model,
                stream=stream,
                inference=inference,
                outcome=outcome,
            )

        return self._book.admit(make, model=model, inference=inference)


def _body_model(data: Any) -> str | None:
    model = data.get("model") if isinstance(data, dict) else None
    return model if isinstance(model, str) else None


def _respond(
    route: Route,
    protocol: Protocol,
    record: RecordedRequest,
    incoming: Incoming,
    params: Mapping[str, str],
    memory: MutableMapping[str, Any],
) -> tuple[Answer, Fault | None]:
    outcome = record.outcome
    fault = outcome if isinstance(outcome, Fault) else None
    if fault is not None and not fault.reset and fault.cut_after is None:
        return fault_answer(protocol, record.seq, fault), fault
    reply = fault.reply if fault is not None else outcome if isinstance(outcome, Reply) else None
    exchange = Exchange(
        incoming=incoming,
        json=record.json,
        params=params,
        model=record.model,
        reply=reply,
        seq=record.seq,
        created=int(time.time()),
        memory=memory,
    )
    try:
        answer = route.handler(exchange)
    except WireError as err:
        return _error_answer(protocol, record.seq, err), None
    except Exception as err:  # a bug in the fake: answer it, in the protocol's words
        logger.exception("fake provider failed on %s %s", record.method, record.path)
        return _error_answer(protocol, record.seq, WireError(500, f"fake failed: {err!r}")), None
    answer.headers[:0] = protocol.headers(record.seq, answer.status)
    if reply is not None:
        answer.latency, answer.chunk_delay = reply.latency, reply.chunk_delay
    return answer, fault


def _error_answer(protocol: Protocol, seq: int, err: WireError) -> Answer:
    body = dumps(protocol.error_body(err.status, err.message))
    return Answer(status=err.status, body=body, headers=protocol.headers(seq, err.status))


def default_message(status: int) -> str:
    return f"{reason_phrase(status)} (scripted by helicone_lite.testing.FakeProvider)"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def fault_answer(protocol: Protocol, seq: int, fault: Fault) -> Answer:
    """The HTTP error response a :class:`Fault` asks for, in the protocol's error JSON."""
    if fault.body is None:
        message = fault.message or default_message(fault.status)
        body = dumps(protocol.error_body(fault.status, message))
    elif isinstance(fault.body, bytes):
        body = fault.body
    elif isinstance(fault.body, str):
        body = fault.body.encode("utf-8")
    else:
        body = dumps(fault.body)
    headers = protocol.headers(seq, fault.status)
    if fault.retry_after is not None:
        headers.append(("retry-after", _number(fault.retry_after)))
    if fault.retry_after_ms is not None:
        headers.append(("retry-after-ms", _number(fault.retry_after_ms)))
    headers.extend(fault.headers.items())
    return Answer(status=fault.status, body=body, headers=headers)


def _unknown_route(incoming: Incoming) -> Answer:
    message = f"the fake provider serves no {incoming.method} {incoming.path}"
    error = {"type": "not_found_error", "message": message, "code": 404, "status": "NOT_FOUND"}
    return Answer(status=404, body=dumps({"type": "error", "error": error}))
