"""One cached answer (a *slot* of a bucket): metadata and the response body, as bytes.

A slot is stored as one blob: a line of JSON metadata, a newline, then the body (the response's
JSON, or a JSON array of stream chunks). The metadata is small, so reading it on a hit is cheap,
and the body goes straight to pydantic's JSON parser (``model_validate_json``).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from pydantic_core import from_json  # 4x faster than json.loads for the small metadata

__all__ = ["Entry", "Labels"]


class Labels(NamedTuple):
    """What a whole bucket is about (every slot of a bucket shares them): for stats and clear."""

    seed: str | None
    model: str


class Entry(NamedTuple):
    """A cached answer and where it came from.

    ``request_id`` is the id of the call that produced it (the hit's ``cache_reference_id``);
    ``created`` and ``expires`` are on the client's clock (``Settings.clock``, epoch seconds);
    ``latency_ms`` is the original call's latency; ``stream`` tells a list of chunks from a
    response.
    """

    request_id: str
    kind: str
    stream: bool
    created: float
    expires: float
    latency_ms: float
    model: str
    provider: str | None
    response_model: str | None
    seed: str | None
    body: bytes

    def encode(self) -> bytes:
        meta = self._asdict()
        del meta["body"]
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, blob: bytes) -> Entry:
        """Parse a blob written by :meth:`encode`; ``ValueError`` if it is not one."""
        head, sep, body = bytes(blob).partition(b"\n")
        if not sep:
            raise ValueError("not a helicone_lite cache entry")
        meta: dict[str, Any] = from_json(head)
        return cls(body=body, **meta)  # a NamedTuple: cheap to build on every hit

    @staticmethod
    def meta_of(blob: bytes) -> dict[str, Any]:
        """Only the metadata (for stats): the body is not copied."""
        end = blob.find(b"\n")
        if end < 0:
            raise ValueError("not a helicone_lite cache entry")
        meta: dict[str, Any] = from_json(blob[:end])
        return meta
