"""The differential parity harness: one case, run on ``openai.OpenAI`` / ``AsyncOpenAI`` and on
``helicone_lite.Client`` / ``AsyncClient`` against the same fake provider, seen as a user sees it.

A case is ``async def case(client, fake) -> value``; it calls the client as a user would (the
helpers :func:`done`, :func:`items` and :func:`entered` let one case drive a sync or an async
client). :func:`observe` runs it and returns what a user could tell apart: the value's (or the
exception's) :func:`shape` and every request the provider received, as :func:`wire` reads it.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import openai
from openai._legacy_response import LegacyAPIResponse
from pydantic import BaseModel

from helicone_lite.testing import FakeProvider, RecordedRequest

__all__ = [
    "KNOWN",
    "Case",
    "Difference",
    "differences",
    "done",
    "entered",
    "items",
    "observe",
    "shape",
    "unexpected",
    "wire",
]

Case = Callable[[Any, FakeProvider], Awaitable[Any]]

#: ids and times that name one request (the fake numbers them; a second run differs)
_PER_REQUEST = frozenset({"id", "created", "created_at", "response_id", "item_id"})
#: reply and request text that names one request or one server
_VOLATILE = re.compile(r"req_fake\d+|127\.0\.0\.1:\d+|(?:chatcmpl|resp|msg|modr|cmpl|rs|fc)[-_]\w+")
#: request headers a user's provider sees and openai sets (helicone_lite's own are excluded)
_SENT = ("content-type", "accept", "authorization", "user-agent", "openai-organization",
         "openai-project", "idempotency-key", "x-stainless-")  # fmt: skip
#: the classes of openai's raw and streaming responses
_RAW_CLASSES = (LegacyAPIResponse, openai.APIResponse, openai.AsyncAPIResponse)
#: reply headers that name one request or moment
_REPLY_VOLATILE = frozenset({"date", "x-request-id", "content-length"})


async def done(value: Any) -> Any:
    """``value``, awaited if the client is async."""
    return await value if inspect.isawaitable(value) else value


async def items(iterable: Any) -> list[Any]:
    """Every item of a sync or async iterable."""
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)


@asynccontextmanager
async def entered(manager: Any) -> AsyncIterator[Any]:
    """``with manager`` or ``async with manager``, whichever it supports."""
    if hasattr(manager, "__aenter__"):
        async with manager as value:
            yield value
    else:
        with manager as value:
            yield value


def sdk_class(value: object) -> type:
    """The first class of ``value`` that is openai's (helicone_lite's subclasses stand for it),
    or its own class when it is no openai class's."""
    classes = type(value).__mro__
    return next((k for k in classes if k.__module__.split(".")[0] == "openai"), type(value))


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _scrub(v) for k, v in value.items() if k not in _PER_REQUEST}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return _VOLATILE.sub("x", value)
    return value


def reply_headers(headers: httpx2.Headers | Mapping[str, str]) -> dict[str, str]:
    """The reply headers a user reads, without ``helicone-*`` and per-request ones."""
    return {
        k.lower(): _VOLATILE.sub("x", v)
        for k, v in headers.items()
        if not k.lower().startswith("helicone-") and k.lower() not in _REPLY_VOLATILE
    }


def _exception(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    request = getattr(exc, "request", None)
    return {
        "class": sdk_class(exc).__qualname__,
        "message": _VOLATILE.sub("x", str(exc)),
        "status_code": getattr(exc, "status_code", None),
        "body": _scrub(getattr(exc, "body", None)),
        "code": getattr(exc, "code", None),
        "type": getattr(exc, "type", None),
        "response": None if response is None else (response.status_code, reply_headers(response.headers)),
        "request": None if request is None else (request.method, _VOLATILE.sub("x", str(request.url))),
    }  # fmt: skip


def _raw(value: Any) -> dict[str, Any]:
    """openai's ``LegacyAPIResponse`` (``with_raw_response``) or ``APIResponse``
    (``with_streaming_response``): the openai classes it is, its status, headers, retries."""
    return {
        "class": sdk_class(value).__qualname__,
        "is": [k.__qualname__ for k in _RAW_CLASSES if isinstance(value, k)],
        "status_code": value.status_code,
        "headers": reply_headers(value.headers),
        "retries_taken": value.retries_taken,
    }


def shape(value: Any) -> Any:
    """What a caller sees of ``value``: the openai class it is (and whether it is exactly that
    class), its fields as ``to_dict()`` gives them (set fields only), ids and times left out."""
    if isinstance(value, BaseException):
        return _exception(value)
    if isinstance(value, BaseModel):
        dump = value.model_dump(mode="json", exclude_unset=True, by_alias=True, warnings=False)
        return {"class": sdk_class(value).__qualname__, "dump": _scrub(dump)}
    if hasattr(value, "http_response") and hasattr(value, "retries_taken"):
        return _raw(value)
    if isinstance(value, (list, tuple)):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, type):
        return value.__qualname__
    if isinstance(value, (str, int, float, bool)) or value is None:
        return _VOLATILE.sub("x", value) if isinstance(value, str) else value
    return sdk_class(value).__qualname__


def wire(request: RecordedRequest) -> dict[str, Any]:
    """A request as the provider received it: method, path, query, the openai headers, body."""
    headers = {
        k: v for k, v in request.headers.items() if k.startswith(_SENT) and k not in _SENT[-1:]
    }
    body: Any = request.json if request.json is not None else request.body.decode("latin-1")
    return {
        "method": request.method,
        "path": _VOLATILE.sub("x", request.path),
        "query": dict(request.query),
        "headers": headers,
        "body": json.loads(_VOLATILE.sub("x", json.dumps(body))),
    }


async def observe(case: Case, client: Any, fake: FakeProvider) -> dict[str, Any]:
    """Run ``case`` on ``client``: its value's (or error's) shape and the requests it made."""
    before = len(fake.requests)
    try:
        value = shape(await case(client, fake))
    except Exception as exc:  # the error is what the user sees
        value = shape(exc)
    return {"value": value, "requests": [wire(r) for r in fake.requests[before:]]}


#: a difference: where, ours, theirs
Difference = tuple[str, Any, Any]
_ABSENT = "<absent>"


def differences(ours: Any, theirs: Any, path: str = "") -> list[Difference]:
    """Where ``ours`` and ``theirs`` differ: ``(path, ours, theirs)``, ``"<absent>"`` for a
    key one side lacks."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found: list[Difference] = []
        for key in sorted(set(ours) | set(theirs), key=str):
            where = f"{path}/{key}"
            if key not in ours or key not in theirs:
                found.append((where, ours.get(key, _ABSENT), theirs.get(key, _ABSENT)))
            else:
                found += differences(ours[key], theirs[key], where)
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        pairs = enumerate(zip(ours, theirs, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}/{i}")]
    return [] if ours == theirs else [(path, ours, theirs)]


#: a difference helicone_lite makes on purpose: (path pattern, does it apply, why)
Known = tuple[str, Callable[[Any, Any], bool], str]

KNOWN: tuple[Known, ...] = (
    (
        r"/requests/\d+/headers/x-stainless-raw-response",
        lambda ours, theirs: ours == "true" and theirs in (_ABSENT, "stream"),
        "the OpenAI adapter asks openai for the raw response (headers, bytes for the log); "
        "openai reads that flag back from the request it sent, so it is on the wire. "
        'Providers ignore it; openai\'s own with_raw_response sends it too (with_streaming_response: "stream")',
    ),
    (
        r"/requests/\d+/body/stream_options(/include_usage)?",
        lambda ours, theirs: ours in ({"include_usage": True}, True),
        "a chat stream asks for usage so its cost is known; the usage chunk is kept from a "
        "caller who did not ask for it, and the other chunks read as openai's (no usage field)",
    ),
    (
        r"/value/\d+/(class|is)",
        lambda ours, theirs: (
            ours in ("RawResponse", []) and theirs in ("LegacyAPIResponse", ["LegacyAPIResponse"])
        ),
        "with_raw_response answers are helicone_lite's RawResponse, with LegacyAPIResponse's "
        "attributes and methods but not its class: openai exports that class from a private "
        "module only, which helicone_lite does not import (tests/test_public_api.py)",
    ),
    (
        r"/value/message",
        lambda ours, theirs: (
            isinstance(ours, str) and ours.startswith(f"{theirs} [helicone_lite: ")
        ),
        "an error after more than one attempt lists every attempt in its message "
        "(docs/retries.md, 'When everything fails'); class, status, body and response are openai's",
    ),
)


def unexpected(found: list[Difference]) -> list[str]:
    """The differences no :data:`KNOWN` entry explains, as ``path: ours != theirs`` lines."""
    return [
        f"{path}: {ours!r} != {theirs!r}"
        for path, ours, theirs in found
        if not any(re.fullmatch(p, path) and applies(ours, theirs) for p, applies, _ in KNOWN)
    ]
