"""One cached answer (a *slot* of a bucket): metadata and the response body, as bytes.

A slot is stored as one blob: a line of JSON metadata, a newline, then the body (the response's
JSON, or a JSON array of stream chunks). The metadata is small, so reading it on a hit is cheap,
and the body goes straight to pydantic's JSON parser (``model_validate_json``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Entry", "Labels"]


@dataclass(frozen=True, slots=True)
class Labels:
    """What a whole bucket is about (every slot of a bucket shares them): for stats and clear."""

    seed: str | None
    model: str


@dataclass(frozen=True, slots=True)
class Entry:
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
        meta = asdict(self)
        del meta["body"]
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, blob: bytes) -> Entry:
        """Parse a blob written by :meth:`encode`; ``ValueError`` if it is not one."""
        head, sep, body = bytes(blob).partition(b"\n")
        if not sep:
            raise ValueError("not a helicone_lite cache entry")
        meta: dict[str, Any] = json.loads(head)
        return cls(body=body, **meta)

    @staticmethod
    def meta_of(blob: bytes) -> dict[str, Any]:
        """Only the metadata (for stats): the body is not copied."""
        end = blob.find(b"\n")
        if end < 0:
            raise ValueError("not a helicone_lite cache entry")
        meta: dict[str, Any] = json.loads(blob[:end])
        return meta
