"""Turning answers into cache bodies and back: responses, embeddings, and streams of chunks.

A response is stored as its JSON (``model_dump_json(exclude_unset=True)``, what the provider
sent) and rebuilt with ``model_validate_json`` (a few microseconds, in pydantic's core). A stream
is stored as a JSON array of its chunks, only when it ended cleanly, and replayed as a stream of the
same events (``ChatCompletionChunk``s, Responses stream events) that the sync and the async client can both iterate.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from .._kinds import Kind, kind_of

__all__ = ["Replay", "dump_chunks", "dump_response", "is_complete", "load_chunks", "load_response"]


def response_types() -> dict[str, Any]:
    """``call.kind`` -> the helicone_lite response class a hit is rebuilt as."""
    from .._kinds import KINDS

    return {name: kind.response_type for name, kind in KINDS.items()}


def dump_response(response: Any) -> bytes | None:
    """The body to store for a response, or None when it is not a pydantic model."""
    dump = getattr(response, "model_dump_json", None)
    if not callable(dump):
        return None
    return str(dump(exclude_unset=True, by_alias=True)).encode()  # as sent: `schema`, not `schema_`


def load_response(kind: str, body: bytes) -> Any:
    return _response_type(kind).model_validate_json(body)


@functools.lru_cache(maxsize=64)  # every hit asks: one C-level lookup, not four frames
def _response_type(kind: str) -> Any:
    return _kind(kind).response_type


def dump_chunks(kind: str, chunks: Sequence[Any]) -> bytes:
    data: bytes = (
        _kind(kind).event_list().dump_json(list(chunks), exclude_unset=True, by_alias=True)
    )
    return data


def load_chunks(kind: str, body: bytes) -> list[Any]:
    chunks: list[Any] = _kind(kind).event_list().validate_json(body)
    return chunks


def is_complete(kind: str, chunks: Sequence[Any]) -> bool:
    """Whether a stream reached its end (a chat choice got a ``finish_reason``, a Responses
    stream its ``response.completed``): a connection that drops without an error would
    otherwise look like a clean end."""
    return _kind(kind).complete(chunks)


def _kind(name: str) -> Kind:
    kind = kind_of(name)
    if kind is None:
        raise ValueError(f"{name!r} calls are not cached")
    return kind


class Replay:
    """A cached stream: iterable by the sync client and async-iterable by the async one."""

    __slots__ = ("_chunks",)

    def __init__(self, chunks: Sequence[Any]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[Any]:
        return iter(self._chunks)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Any]:
        for chunk in self._chunks:
            yield chunk

    def __len__(self) -> int:
        return len(self._chunks)

    def close(self) -> None:
        """Nothing to release (no connection behind a replay)."""
