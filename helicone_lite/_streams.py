"""Streams handed to the user: the provider's chunks, untouched, seen by observers on the way.

They are ``openai.Stream`` / ``openai.AsyncStream`` instances (``isinstance`` keeps working) that
iterate a source (the provider's stream, a translated stream, or a cache replay) and call each
observer's ``on_chunk`` and, once, ``on_end``. Nothing is buffered here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx2
import openai

from ._errors import HeliconeLiteError

if TYPE_CHECKING:  # the pipeline loads with the first call, not with the package
    from .pipeline._call import StreamObserver

__all__ = ["AsyncHeliconeStream", "HeliconeStream", "StreamClosedEarly"]

T = TypeVar("T")


class StreamClosedEarly(HeliconeLiteError):
    """Passed to ``on_end`` when the user closed a stream before its end (not an error for them)."""


class _Observed(Generic[T]):
    """The observer bookkeeping shared by the sync and async streams."""

    def __init__(
        self,
        observers: Sequence[StreamObserver],
        hide: Callable[[Any], bool] | None,
    ) -> None:
        self._observers = tuple(observers)
        self._hide = hide
        self._ended = False

    def _seen(self, chunk: Any) -> bool:
        for observer in self._observers:
            observer.on_chunk(chunk)
        return self._hide is None or not self._hide(chunk)

    def _end(self, error: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        for observer in self._observers:
            try:
                observer.on_end(error)
            except Exception:  # an observer must never break the user's stream
                import logging

                logging.getLogger("helicone_lite").exception("stream observer failed")


class HeliconeStream(openai.Stream[T]):
    """A sync stream of chunks (``openai.Stream``), with ``.headers`` like a response."""

    def __init__(
        self,
        source: Iterator[T],
        *,
        observers: Sequence[StreamObserver] = (),
        headers: httpx2.Headers | None = None,
        response: httpx2.Response | None = None,
        hide: Callable[[Any], bool] | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self._state: _Observed[T] = _Observed(observers, hide)
        self._source = source
        self._close_source = close
        self.headers = headers if headers is not None else httpx2.Headers()
        self.response = response  # type: ignore[assignment]  # None for a cache replay
        self._iterator: Generator[T, None, None] = self.__stream__()

    def __stream__(self) -> Generator[T, None, None]:
        state = self._state
        try:
            for chunk in self._source:
                if state._seen(chunk):
                    yield chunk
        except GeneratorExit:
            state._end(StreamClosedEarly("the stream was closed before its end"))
            raise
        except BaseException as exc:
            state._end(exc)
            raise
        state._end(None)

    def __next__(self) -> T:
        return self._iterator.__next__()

    def __iter__(self) -> Iterator[T]:
        yield from self._iterator

    def __enter__(self) -> HeliconeStream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the stream and release the connection (observers are told it ended early)."""
        self._iterator.close()
        self._state._end(StreamClosedEarly("the stream was closed before its end"))
        if self._close_source is not None:
            self._close_source()

    def __del__(self) -> None:
        if not self._state._ended:
            self._state._end(StreamClosedEarly("the stream was dropped before its end"))


class AsyncHeliconeStream(openai.AsyncStream[T]):
    """An async stream of chunks (``openai.AsyncStream``), with ``.headers`` like a response."""

    def __init__(
        self,
        source: AsyncIterator[T],
        *,
        observers: Sequence[StreamObserver] = (),
        headers: httpx2.Headers | None = None,
        response: httpx2.Response | None = None,
        hide: Callable[[Any], bool] | None = None,
        close: Callable[[], Any] | None = None,
    ) -> None:
        self._state: _Observed[T] = _Observed(observers, hide)
        self._source = source
        self._close_source = close
        self.headers = headers if headers is not None else httpx2.Headers()
        self.response = response  # type: ignore[assignment]
        self._iterator: AsyncGenerator[T, None] = self.__stream__()

    async def __stream__(self) -> AsyncGenerator[T, None]:
        state = self._state
        try:
            async for chunk in self._source:
                if state._seen(chunk):
                    yield chunk
        except GeneratorExit:
            state._end(StreamClosedEarly("the stream was closed before its end"))
            raise
        except BaseException as exc:
            state._end(exc)
            raise
        state._end(None)

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for chunk in self._iterator:
            yield chunk

    async def __aenter__(self) -> AsyncHeliconeStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the stream and release the connection."""
        await self._iterator.aclose()
        self._state._end(StreamClosedEarly("the stream was closed before its end"))
        if self._close_source is not None:
            outcome = self._close_source()
            if hasattr(outcome, "__await__"):
                await outcome

    def __del__(self) -> None:
        if not self._state._ended:
            self._state._end(StreamClosedEarly("the stream was dropped before its end"))
