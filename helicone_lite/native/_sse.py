"""The body of a raw streamed response (``with_streaming_response`` / ``with_raw_response``
with ``stream=True``) read as bytes: ``read()``, ``iter_bytes()``, ``iter_lines()``….

The provider's own body is read by the observed stream (so the call is logged and cached),
and a cache hit has none; either way the caller reads the stream's events written out again
as server-sent events (``event: <type>`` / ``data: <JSON>``), which is what anthropic's SSE
decoder and a hand-written line parser read. The provider's ``ping`` events are not among
them (the SDK's stream drops them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2

__all__ = ["sse_response"]

#: headers of the provider's body that do not describe the rewritten one
_BODY_HEADERS = ("content-length", "content-encoding", "transfer-encoding")


def _event(event: Any) -> bytes:
    data = event.model_dump_json(exclude_unset=True, by_alias=True)
    return f"event: {event.type}\ndata: {data}\n\n".encode()


def _events(stream: Any) -> Iterator[bytes]:
    try:
        for event in stream:
            yield _event(event)
    finally:
        stream.close()  # left early: the call is logged as it ended


async def _aevents(stream: Any) -> AsyncIterator[bytes]:
    try:
        async for event in stream:
            yield _event(event)
    finally:
        await stream.close()


def sse_response(http: httpx2.Response, stream: Any, *, aiter: bool) -> httpx2.Response:
    """``http`` (status, headers, request) with the events of ``stream`` as its body."""
    headers = httpx2.Headers(http.headers)
    for name in _BODY_HEADERS:
        headers.pop(name, None)
    headers["content-type"] = "text/event-stream; charset=utf-8"
    body = _aevents(stream) if aiter else _events(stream)
    return httpx2.Response(
        http.status_code,
        headers=headers,
        content=body,
        request=http.request,
        extensions=http.extensions,
    )
