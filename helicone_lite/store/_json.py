"""JSON text for JSON-typed columns, on the writer thread.

pydantic-core's serializer (already loaded by openai) is about five times faster than the
stdlib encoder here, which matters at 20,000 rows/s; the stdlib encoder is the fallback for
anything it refuses (lone surrogates, undecodable bytes) or when it is missing.
Output is compact, valid JSON (NaN and infinities become null) so SQLite's json_extract()
reads every stored value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ._time import iso_from_epoch

__all__ = ["JsonEncoder", "datetime_iso"]


def datetime_iso(value: datetime) -> str:
    """A datetime in the stored timestamp format (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return iso_from_epoch(value.timestamp())


def _readable(value: Any) -> Any:
    """What to store for a value JSON has no type for."""
    dump = getattr(value, "model_dump", None)  # pydantic models (openai's response types)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, datetime):
        return datetime_iso(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (JSON has no spelling for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


class JsonEncoder:
    """``encoder(value) -> str``; never raises for odd values (they are made readable)."""

    def __init__(self) -> None:
        # ASCII escapes keep lone surrogates storable; this path is the rare one.
        self._portable = json.JSONEncoder(default=_readable, separators=(",", ":")).encode
        self._fast: Callable[..., bytes] | None
        try:
            from pydantic_core import to_json
        except ImportError:  # pragma: no cover - pydantic is a dependency
            self._fast = None
        else:
            self._fast = to_json

    def __call__(self, value: Any) -> str:
        if self._fast is not None:
            try:
                return self._fast(value, fallback=_readable, inf_nan_mode="null").decode()
            except Exception:  # refused (lone surrogate, bad bytes): the portable path
                pass
        return self._portable(_finite(value))
