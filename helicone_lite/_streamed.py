"""``with_streaming_response`` results, shaped like ``openai``'s ``APIResponse``.

The call went through the interceptor stack, so the provider's bytes were read (and, across a
fallback, translated) by helicone_lite. ``read``/``iter_bytes``/``iter_lines`` hand back what an
OpenAI endpoint would have sent for the answer the caller gets: the JSON body, or for a stream
the server-sent events (``data: {chunk}`` per chunk, ``event:`` lines for typed events and the
closing ``data: [DONE]`` where the endpoint sends one). Iterating a stream's bytes consumes the
stream, which logs it, as iterating ``parse()`` would.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Generic, TypeVar

import httpx2
import openai

from ._raw import RawResponse

__all__ = ["AsyncStreamedResponse", "StreamedResponse", "async_streamed", "streamed"]

R = TypeVar("R")


def _body(value: object) -> str:
    dump = getattr(value, "model_dump_json", None)
    return dump(exclude_unset=True) if callable(dump) else json.dumps(value)


def _event(chunk: object) -> bytes:
    kind = getattr(chunk, "type", None)
    head = f"event: {kind}\n" if isinstance(kind, str) else ""
    return f"{head}data: {_body(chunk)}\n\n".encode()


def _split_bytes(parts: Iterable[bytes], size: int | None) -> Iterator[bytes]:
    if size is None:
        yield from parts
        return
    buffer = b""
    for part in parts:
        buffer += part
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


def _lines(parts: Iterable[bytes]) -> Iterator[str]:
    for part in parts:
        yield from part.decode().split("\n")[:-1]


def _parsed(raw: RawResponse[R], to: type[Any] | None) -> R:
    """The answer; ``to=`` (openai's re-parse into another type) only names its own type or a
    base of it: the answer was parsed once, in the stack."""
    parsed = raw.parse()
    if to is not None and not isinstance(parsed, to):
        raise TypeError(f"helicone_lite: this answer is a {type(parsed).__name__}, not {to!r}")
    return parsed


class _Base(Generic[R]):
    """What both flavours share: headers, status, ids, and the parsed value."""

    # openai's ``APIResponse.__init__`` is not called (see ``RawResponse``)
    def __init__(self, raw: RawResponse[R], done_marker: bool) -> None:
        self._raw, self._done_marker = raw, done_marker
        self.http_response: httpx2.Response | None = raw.http_response
        self._closed = False

    @property
    def headers(self) -> httpx2.Headers:
        return self._raw.headers

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def status_code(self) -> int:
        return self._raw.status_code

    @property
    def request_id(self) -> str | None:
        return self._raw.request_id

    @property
    def retries_taken(self) -> int:
        return self._raw.retries_taken

    @property
    def http_request(self) -> httpx2.Request | None:
        return self._raw.http_request

    @property
    def url(self) -> httpx2.URL | None:
        return self._raw.url

    @property
    def method(self) -> str | None:
        return self._raw.method

    @property
    def http_version(self) -> str | None:
        return self._raw.http_version

    @property
    def elapsed(self) -> datetime.timedelta | None:
        return self._raw.elapsed

    def _is_stream(self) -> bool:
        parsed = self._raw.parse()
        return hasattr(parsed, "__next__") or hasattr(parsed, "__anext__")

    def _tail(self) -> list[bytes]:
        return [b"data: [DONE]\n\n"] if self._done_marker else []


class StreamedResponse(_Base[R], openai.APIResponse[R]):  # type: ignore[misc, override]
    """``client.chat.completions.with_streaming_response.create(...)``'s response: an openai
    ``APIResponse`` (as ``isinstance`` says)."""

    def parse(self, *, to: type[Any] | None = None) -> R:  # type: ignore[override]
        return _parsed(self._raw, to)

    def _parts(self) -> Iterator[bytes]:
        parsed: Any = self._raw.parse()
        if not self._is_stream():
            yield _body(parsed).encode()
            return
        for chunk in parsed:
            yield _event(chunk)
        yield from self._tail()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield from _split_bytes(self._parts(), chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        for part in self.iter_bytes(chunk_size):
            yield part.decode()

    def iter_lines(self) -> Iterator[str]:
        if self._is_stream():
            yield from _lines(self._parts())
        else:
            yield from self.text().splitlines()

    def read(self) -> bytes:
        return b"".join(self._parts())

    def text(self) -> str:
        return self.read().decode()

    def json(self) -> object:
        return json.loads(self.text())

    def close(self) -> None:
        self._closed = True
        parsed: Any = self._raw.parse()
        if self._is_stream():
            parsed.close()


class AsyncStreamedResponse(_Base[R], openai.AsyncAPIResponse[R]):  # type: ignore[misc, override]
    """The async client's ``with_streaming_response`` response (``parse``, ``read``… awaited):
    an openai ``AsyncAPIResponse``."""

    async def parse(self, *, to: type[Any] | None = None) -> R:  # type: ignore[override]
        return _parsed(self._raw, to)

    async def _parts(self) -> AsyncIterator[bytes]:
        parsed: Any = self._raw.parse()
        if not self._is_stream():
            yield _body(parsed).encode()
            return
        async for chunk in parsed:
            yield _event(chunk)
        for tail in self._tail():
            yield tail

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        buffer = b""
        async for part in self._parts():
            for piece in _split_bytes([buffer + part], chunk_size):
                if chunk_size is not None and len(piece) < chunk_size:
                    buffer = piece  # the remainder waits for the next part
                    break
                buffer = b""
                yield piece
        if buffer:
            yield buffer

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        async for part in self.iter_bytes(chunk_size):
            yield part.decode()

    async def iter_lines(self) -> AsyncIterator[str]:
        if not self._is_stream():
            for line in (await self.text()).splitlines():
                yield line
            return
        async for part in self._parts():
            for line in _lines([part]):
                yield line

    async def read(self) -> bytes:
        return b"".join([part async for part in self._parts()])

    async def text(self) -> str:
        return (await self.read()).decode()

    async def json(self) -> object:
        return json.loads(await self.text())

    async def close(self) -> None:
        self._closed = True
        parsed: Any = self._raw.parse()
        if self._is_stream():
            await parsed.close()


@contextmanager
def streamed(raw: RawResponse[R], done_marker: bool) -> Iterator[StreamedResponse[R]]:
    response = StreamedResponse(raw, done_marker)
    try:
        yield response
    finally:
        response.close()


@asynccontextmanager
async def async_streamed(
    raw: RawResponse[R], done_marker: bool
) -> AsyncIterator[AsyncStreamedResponse[R]]:
    response = AsyncStreamedResponse(raw, done_marker)
    try:
        yield response
    finally:
        await response.close()
