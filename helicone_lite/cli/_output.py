"""One way to print for every command: a table for people, TSV/JSON lines/CSV for programs.

* stdout a terminal: an aligned table fitted to the terminal's width. Ids, timestamps and
  numbers (``Column`` kinds ``id``, ``time``, ``number``) are never cut or wrapped; free text is
  cut with ``…``; when even that does not fit, the rightmost text columns are left out (and
  a last line says so). Pipe the command or use ``--json``/``--csv`` for every column.
* stdout not a terminal (``| grep``, ``> file``): a header line, then one line per row, values
  separated by tabs, in full (``cut -f``, ``awk -F'\\t'`` and ``grep`` work).
* ``--json``: one JSON object per line (JSON lines), ASCII-only, the machine values
  (``cost_usd`` as a number, times as ISO text).
* ``--csv``: RFC 4180 CSV of the machine values, formula cells neutralised
  (:func:`helicone_lite._inert.csv_cell`); written to a terminal, control characters are
  escaped as well (to a file or a pipe the text is kept exact).

Every stored string goes through :func:`helicone_lite._inert.safe_text` before a terminal or
a TSV line sees it, and nothing stored is ever parsed as rich markup.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .._inert import csv_cell, safe_text

__all__ = ["Column", "Output", "add_output", "jsonable", "safe_text"]

_FIXED = frozenset({"id", "time", "number"})
_GAP = "  "
_MIN_TEXT = 6  # a text column is never cut below this (or its header)


@dataclass(frozen=True)
class Column:
    """One column: ``key`` of the row (mapping key or attribute), its header, its kind
    (``text``: may be cut; ``id``, ``time``, ``number``: never cut; numbers align right),
    ``fmt``, how the value reads for people (table and TSV; JSON and CSV get the raw value),
    ``drop``: when a narrow terminal cannot fit every column, the columns with the highest
    ``drop`` are left out first (0: always shown), and ``missing``: what the table shows for
    a missing (``None``) value, such as ``(none)`` for a call without a user. Piped (TSV), a
    missing value is always an empty field, as ``cut``, ``awk`` and pandas read one: a value
    spelled like ``missing`` is then stored text, never "no value"."""

    key: str
    header: str | None = None
    kind: str = "text"
    fmt: Callable[[Any], Any] | None = None
    drop: int = 0
    #: reads the cell from the whole row instead (``key`` is then only its name)
    of: Callable[[Any], Any] | None = None
    missing: str = ""

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.key

    def cell(self, row: Any, *, table: bool = False) -> str:
        """The value as text: for the terminal's ``table``, else for a TSV field."""
        if self.of is not None:
            value = self.of(row)
        elif isinstance(row, Mapping):
            value = row.get(self.key)
        else:
            value = getattr(row, self.key, None)
        if value is None and self.missing:
            return self.missing if table else ""
        if self.fmt is not None:
            value = self.fmt(value)
        if value is None:
            return ""
        return safe_text(value)


def add_output(parser: argparse.ArgumentParser) -> None:
    """``--json`` and ``--csv`` (the same names on every listing command)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="JSON lines (one object per row)")
    group.add_argument("--csv", action="store_true", help="CSV with a header line")


def jsonable(value: Any) -> Any:
    """Rows (dicts, report dataclasses) as plain JSON values."""
    from ..reports import to_jsonable

    return to_jsonable(value)


class Output:
    """Where and how a command prints; built from the parsed options."""

    def __init__(self, mode: str, stream: IO[str] | None = None, width: int | None = None):
        self.stream = stream if stream is not None else sys.stdout
        self.mode = mode
        self._width = width

    @classmethod
    def from_args(cls, args: argparse.Namespace, stream: IO[str] | None = None) -> Output:
        out = stream if stream is not None else sys.stdout
        if getattr(args, "json", False):
            return cls("json", out)
        if getattr(args, "csv", False):
            return cls("csv", out)
        return cls("table" if out.isatty() else "tsv", out)

    @property
    def tty(self) -> bool:
        return self.mode == "table"

    @property
    def width(self) -> int:
        if self._width is None:
            self._width = max(20, shutil.get_terminal_size((120, 24)).columns)
        return self._width

    # --- rows ---

    def rows(
        self,
        columns: Sequence[Column],
        rows: Iterable[Any],
        *,
        title: str | None = None,
        header: bool = True,
        empty: str | None = None,
        streamed: bool = False,
    ) -> int:
        """Print ``rows``; returns how many. ``header=False`` continues an earlier print
        (``--follow``). ``empty``: the line for no rows (a terminal gets it instead of the
        table; piped output gets the header line, and the message on stderr). Piped,
        ``--json`` and ``--csv`` output of rows keyed by the columns' keys (``streamed``)
        is written as the rows come, never held (a query's million rows)."""
        if streamed and not self.tty:
            return self._stream(columns, rows, header, empty)
        items = list(rows)
        if not items and empty is not None and self.mode in ("table", "tsv"):
            if self.tty:
                self.line(empty)
                return 0
            print(empty, file=sys.stderr)
        if self.mode == "json":
            for item in items:
                self.json(item)
        elif self.mode == "csv":
            self._csv(items, header, columns)
        elif self.mode == "tsv":
            if header:
                self.line("\t".join(safe_text(c.title) for c in columns))
            for item in items:
                self.line("\t".join(c.cell(item) for c in columns))
        else:
            self._table(columns, items, title, header)
        self.stream.flush()
        return len(items)

    def _stream(
        self, columns: Sequence[Column], rows: Iterable[Any], header: bool, empty: str | None
    ) -> int:
        names = [c.key for c in columns]
        writer = csv.writer(self.stream) if self.mode == "csv" else None
        cell = _inert_cell if self.stream.isatty() else csv_cell
        if header and writer is not None:
            writer.writerow([cell(n) for n in names])
        elif header and self.mode == "tsv":
            self.line("\t".join(safe_text(c.title) for c in columns))
        count = 0
        for item in rows:
            count += 1
            if self.mode == "json":
                self.json(item)
            elif writer is not None:
                flat = _flat(jsonable(item))
                writer.writerow([cell(flat.get(n)) for n in names])
            else:
                self.line("\t".join(c.cell(item) for c in columns))
        if not count and empty is not None and self.mode == "tsv":
            print(empty, file=sys.stderr)
        self.stream.flush()
        return count

    def json(self, value: Any) -> None:
        """One JSON value on one line (ASCII-only: control characters arrive escaped)."""
        self.line(json.dumps(jsonable(value), ensure_ascii=True, default=str))

    def _csv(self, items: list[Any], header: bool, columns: Sequence[Column]) -> None:
        flat = [_flat(jsonable(item)) for item in items]
        # no rows: the columns' keys, so a reader still gets its header line (as TSV does)
        names: list[str] = [] if flat else [c.key for c in columns]
        for row in flat:
            names += [k for k in row if k not in names]
        writer = csv.writer(self.stream)
        cell = _inert_cell if self.stream.isatty() else csv_cell
        if header and names:
            writer.writerow([cell(n) for n in names])
        for row in flat:
            writer.writerow([cell(row.get(n)) for n in names])

    def _table(
        self, columns: Sequence[Column], items: list[Any], title: str | None, header: bool
    ) -> None:
        cells = [[c.cell(item, table=True) for c in columns] for item in items]
        shown, widths = fit(columns, cells, self.width)
        if title and header:
            self.line(cut(safe_text(title), self.width))
        if header:
            self.line(_join([columns[i].title for i in shown], widths, columns, shown))
            self.line(_GAP.join("─" * w for w in widths))
        for row in cells:
            self.line(_join([row[i] for i in shown], widths, columns, shown))
        hidden = [columns[i].title for i in range(len(columns)) if i not in shown]
        if hidden and header:
            note = f"(not shown: {', '.join(hidden)}; widen the terminal, or pipe for all)"
            self.line(cut(note, self.width))

    # --- other output ---

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def pairs(self, items: Sequence[tuple[str, Any]], *, title: str | None = None) -> None:
        """``name  value`` lines (table and TSV), or one JSON object / a two-column CSV."""
        if self.mode == "json":
            self.json(dict(items))
            return
        if self.mode == "csv":
            writer = csv.writer(self.stream)
            cell = _inert_cell if self.stream.isatty() else csv_cell
            writer.writerow(["name", "value"])
            for name, value in items:
                writer.writerow([cell(name), cell(_flat_value(value))])
            return
        if title and self.tty:
            self.line(safe_text(title))
        pad = max((len(name) for name, _ in items), default=0)
        for name, value in items:
            text = safe_text(_flat_value(value))
            if self.mode == "tsv":
                self.line(f"{safe_text(name)}\t{text}")
            else:
                self.line(f"{name:<{pad}}  {cut(text, max(self.width - pad - 2, 8))}")

    def rich(self, renderable: Any) -> None:
        """A rich renderable (a tree) built from ``rich.text.Text`` only; plain when piped,
        never wrapped there."""
        from rich.console import Console

        console = (
            Console(file=self.stream, width=self.width, soft_wrap=False)
            if self.tty
            else Console(file=self.stream, width=100_000, no_color=True, highlight=False)
        )
        console.print(renderable, highlight=False)


def _inert_cell(value: Any) -> Any:
    return csv_cell(safe_text(value)) if isinstance(value, str) else value


def _flat_value(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _flat(row: Any) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        return {"value": _flat_value(row)}
    return {str(k): _flat_value(v) for k, v in row.items()}


def cell_width(text: str) -> int:
    from rich.cells import cell_len

    return int(cell_len(text))


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, ending in ``…`` when cut."""
    if cell_width(text) <= width:
        return text
    from rich.cells import set_cell_size

    return str(set_cell_size(text, max(width - 1, 0))) + "…"


def fit(
    columns: Sequence[Column], cells: list[list[str]], width: int
) -> tuple[list[int], list[int]]:
    """Which columns to show and how wide: fixed kinds at full width, text columns shrunk
    (widest first) down to a minimum, then columns left out (highest ``drop`` first)."""
    full = [
        max([cell_width(c.title)] + [cell_width(row[i]) for row in cells])
        for i, c in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    floor = [
        full[i] if c.kind in _FIXED else min(full[i], max(_MIN_TEXT, cell_width(c.title)))
        for i, c in enumerate(columns)
    ]
    while True:
        widths = {i: full[i] for i in shown}
        budget = width - len(_GAP) * (len(shown) - 1)
        excess = sum(widths.values()) - budget
        while excess > 0:
            shrinkable = [i for i in shown if widths[i] > floor[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i] - floor[i])
            step = min(excess, widths[widest] - floor[widest])
            step = max(1, min(step, (widths[widest] - floor[widest] + 1) // 2))
            widths[widest] -= step
            excess -= step
        droppable = [i for i in shown if columns[i].drop > 0]
        if excess <= 0 or not droppable:
            return shown, [widths[i] for i in shown]
        shown.remove(max(droppable, key=lambda i: (columns[i].drop, i)))


def _join(texts: list[str], widths: list[int], columns: Sequence[Column], shown: list[int]) -> str:
    parts = []
    for text, w, i in zip(texts, widths, shown, strict=True):
        text = cut(text, w)
        pad = " " * (w - cell_width(text))
        parts.append(pad + text if columns[i].kind == "number" else text + pad)
    return _GAP.join(parts).rstrip()
