"""Timestamps as stored: ISO-8601 UTC text with milliseconds, e.g. ``2026-11-26T23:55:17.123Z``.

Every timestamp in the database has this one fixed-width shape, so text order is time order
and ``WHERE created_at >= '2026-11-01'`` works in plain SQL.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["epoch_from_iso", "iso_from_epoch", "utcnow_iso"]

# SQLite's own spelling of the same format, used for column defaults.
SQL_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def iso_from_epoch(ts: float) -> str:
    """Format a Unix timestamp (seconds) as ISO-8601 UTC with milliseconds.

    >>> iso_from_epoch(0.5)
    '1970-01-01T00:00:00.500Z'
    """
    # Round to microseconds first so 0.123 (stored as 0.12299999…) keeps its 123 ms.
    millis = round(ts * 1_000_000) // 1000
    seconds, ms = divmod(millis, 1000)
    return f"{_second_text(seconds)}.{ms:03d}Z"


@functools.lru_cache(maxsize=256)
def _second_text(seconds: int) -> str:
    """The formatted second: the writer stamps a batch's rows within a few seconds, and
    ``strftime(gmtime())`` was a tenth of building a row (issue 12, item 3)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def utcnow_iso(clock: Callable[[], float] = time.time) -> str:
    """The current time from ``clock`` (seconds since the epoch) in the stored format.

    >>> utcnow_iso(lambda: 1_700_000_000.0)
    '2023-11-14T22:13:20.000Z'
    """
    return iso_from_epoch(clock())


def epoch_from_iso(text: str) -> float:
    """Parse a stored timestamp back to seconds since the epoch (naive text is taken as UTC).

    >>> epoch_from_iso('1970-01-01T00:00:01.250Z')
    1.25
    """
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
