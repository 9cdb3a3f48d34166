"""The shapes shared by the protocol modules: requests in, answers out, route tables."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, TypeAlias

from ._outcomes import Reply

ProtocolName: TypeAlias = Literal["openai", "anthropic", "gemini", "unknown"]


class WireError(Exception):
    """Raised by a handler to answer with the protocol's error JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Incoming:
    """One HTTP request as the server read it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

    def parse_json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise WireError(400, f"request body is not valid JSON: {err}") from err


@dataclass(frozen=True)
class Exchange:
    """What a route handler sees: the request, its JSON, and the scripted reply."""

    incoming: Incoming
    json: Any
    params: Mapping[str, str]
    model: str | None
    reply: Reply | None
    seq: int
    created: int
    #: state the fake keeps between requests (stored responses), one per FakeProvider
    memory: MutableMapping[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body as an object, or a 400 error."""
        if not isinstance(self.json, dict):
            raise WireError(400, "request body must be a JSON object")
        return self.json

    def require_model(self) -> str:
        if not self.model:
            raise WireError(400, "you must provide a model parameter")
        return self.model


@dataclass
class Answer:
    """A response to write: a JSON body, or (``events`` not None) a server-sent stream."""

    status: int = 200
    body: bytes = b""
    events: list[bytes] | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"
    latency: float = 0.0
    chunk_delay: float = 0.0


Handler: TypeAlias = Callable[[Exchange], Answer]


@dataclass(frozen=True)
class Route:
    """One endpoint: ``method`` and a full-match ``pattern`` over the URL path.

    ``inference`` routes produce a model answer: they consume scripts and count as calls.
    ``streaming`` routes always stream (otherwise a body's ``"stream": true`` asks for it).
    """

    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler
    inference: bool = False
    streaming: bool = False


@dataclass(frozen=True)
class Protocol:
    """One provider's wire protocol: its routes, error JSON and response headers."""

    name: ProtocolName
    routes: tuple[Route, ...]
    error_body: Callable[[int, str], dict[str, Any]]
    headers: Callable[[int, int], list[tuple[str, str]]]
    """(request seq, HTTP status) -> response headers such as request ids."""


def route(
    request: str,
    endpoint: str,
    handler: Handler,
    *,
    inference: bool = False,
    streaming: bool = False,
) -> Route:
    """A :class:`Route` from ``"METHOD /path-regex"``."""
    method, _, pattern = request.partition(" ")
    return Route(method, re.compile(pattern), endpoint, handler, inference, streaming)


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Overloaded" if status == 529 else "Error"


def dumps(obj: Any) -> bytes:
    """Compact JSON, as the providers send it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_answer(obj: Any, status: int = 200) -> Answer:
    return Answer(status=status, body=dumps(obj))


def sse_answer(events: list[bytes]) -> Answer:
    return Answer(events=events, content_type="text/event-stream; charset=utf-8")


def sse_data(obj: Any, *, event: str | None = None, end: bytes = b"\n\n") -> bytes:
    """One server-sent event frame: optional ``event:`` line, then the JSON ``data:``."""
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + dumps(obj) + end


def texts_of(content: Any, *, kinds: tuple[str, ...] = ("text",)) -> list[str]:
    """Text pieces of a message ``content``: a string, or a list of typed parts/blocks."""
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    found: list[str] = []
    for part in content:
        if not isinstance(part, dict) or part.get("type", "text") not in kinds:
            continue
        if isinstance(part.get("text"), str):
            found.append(part["text"])
        elif "content" in part:
            found.extend(texts_of(part["content"], kinds=kinds))
    return found
