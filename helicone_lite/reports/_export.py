"""Exporting the request log: CSV or JSON lines, streamed (never the whole log in memory).

Stored text is attacker-controlled: CSV cells that a spreadsheet would run as a formula get a
leading ``'`` (``_inert.csv_cell``), and JSON lines are ASCII-only (control characters, C1
and bidi marks arrive as ``\\uXXXX`` escapes, inert in a terminal).
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from .._errors import OptionsError
from .._inert import csv_cell
from ._filters import Filters
from ._sql import Reader

__all__ = ["BODY_COLUMNS", "FORMATS", "export_columns", "export_count", "export_rows", "write"]

FORMATS = ("csv", "jsonl")
#: left out unless asked for: large, and possibly sensitive.
BODY_COLUMNS = frozenset({"request_body", "response_body", "reply_headers", "prompt_inputs"})
# JSON text columns, decoded in JSON lines output.
_JSON_COLUMNS = frozenset(
    {"properties", "request_body", "response_body", "reply_headers", "prompt_inputs"}
)


def export_columns(reader: Reader, *, bodies: bool = False) -> list[str]:
    """The ``requests`` columns an export writes (every column the store has)."""
    names = reader.columns("requests")
    return [n for n in names if bodies or n not in BODY_COLUMNS]


def _select(filters: Filters, now: float, columns: Sequence[str]) -> tuple[str, list[Any]]:
    where, params = filters.where(now)
    sql = (
        f"SELECT {', '.join(columns)} FROM requests INDEXED BY idx_requests_created_at "
        f"WHERE {where} ORDER BY created_at"
    )
    return sql, params


def export_count(reader: Reader, filters: Filters, now: float) -> int:
    """How many requests an export of ``filters`` writes (for progress bars)."""
    sql, params = _select(filters, now, ["1"])
    return int(reader.values(f"SELECT count(*) FROM ({sql}) AS matching", params)[0])


def export_rows(
    reader: Reader, filters: Filters, now: float, columns: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """The matching requests, oldest first, one dict per row, fetched as consumed."""
    sql, params = _select(filters, now, columns)
    return reader.stream(sql, params)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON_COLUMNS.intersection(row):
        value = row[name]
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                row[name] = json.loads(value)
    return row


def write(
    rows: Iterable[dict[str, Any]],
    out: IO[str],
    fmt: str,
    columns: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``rows`` to ``out`` as ``csv`` or ``jsonl``; returns how many were written.

    ``progress(n)`` is called every 1,000 rows (and at the end) with the count so far.
    """
    if fmt not in FORMATS:
        raise OptionsError("format", fmt, " or ".join(FORMATS))
    count = 0
    writer = csv.DictWriter(out, fieldnames=list(columns)) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in rows:
        if writer is not None:
            writer.writerow({k: csv_cell(v) for k, v in row.items()})
        else:
            out.write(json.dumps(_decoded(row), ensure_ascii=True, default=str) + "\n")
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    if progress is not None:
        progress(count)
    return count
