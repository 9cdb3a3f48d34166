"""The output rules themselves: inert text, formula cells, tables that fit without cutting
ids, timestamps or numbers."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helicone_lite._inert import csv_cell, safe_text
from helicone_lite.cli._output import Column, Output, cell_width, fit


@pytest.mark.parametrize(
    ("stored", "printed"),
    [
        ("[red]x", "[red]x"),  # markup is not interpreted: printed as stored
        ("[/]", "[/]"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\nb\r\tc", "a\\nb\\r\\tc"),
        ("\u202eevil\u200f", "\\u202eevil\\u200f"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI: an escape sequence without ESC
        ("naïve 東京 ✓", "naïve 東京 ✓"),  # ordinary text untouched
        (None, ""),
        (12.5, "12.5"),
    ],
)
def test_safe_text(stored: object, printed: str) -> None:
    assert safe_text(stored) == printed


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_never_start_a_formula(start: str) -> None:
    assert csv_cell(start + "cmd|' /C calc'!A0") == "'" + start + "cmd|' /C calc'!A0"
    assert csv_cell("plain") == "plain" and csv_cell(-3) == -3 and csv_cell(None) is None


ID = "0193a6f0-7c1e-7a3b-9f10-2b3c4d5e6f70"
COLUMNS = (
    Column("id", kind="id"),
    Column("at", kind="time"),
    Column("model"),
    Column("cost", kind="number", drop=2),
    Column("note", drop=3),
)
ROW = {
    "id": ID,
    "at": "2026-12-05 09:03:31",
    "model": "gpt-4o-mini-2024-07-18",
    "cost": "$0.000123",
    "note": "x" * 200,
}


@pytest.mark.parametrize("width", [40, 60, 80, 100, 140, 300])
def test_table_fits_without_cutting_ids_times_or_numbers(width: int) -> None:
    stream = io.StringIO()
    Output("table", stream, width=width).rows(COLUMNS, [ROW, ROW], title="t")
    lines = stream.getvalue().splitlines()
    body = [line for line in lines[1:] if not line.startswith("(")]
    assert all(ID in line for line in body[2:])  # every row shows the whole id
    assert all("2026-12-05 09:03:31" in line for line in body[2:])
    if width >= 80:
        assert all(cell_width(line) <= width for line in lines)
    shown, _widths = fit(COLUMNS, [[str(ROW[c.key]) for c in COLUMNS]], width)
    assert 0 in shown and 1 in shown and 2 in shown  # never dropped (drop=0)
    if 3 in shown:
        assert "$0.000123" in body[2]  # shown means whole


def test_narrow_table_cuts_text_with_an_ellipsis_and_says_what_it_left_out() -> None:
    stream = io.StringIO()
    Output("table", stream, width=70).rows(COLUMNS, [ROW])
    out = stream.getvalue()
    assert "…" in out and "not shown: " in out and "note" in out.splitlines()[-1]


def test_tsv_json_csv_carry_full_values() -> None:
    hostile = {**ROW, "note": "=1+1\x1b[2J\nsecond"}
    for mode in ("tsv", "json", "csv"):
        stream = io.StringIO()
        Output(mode, stream).rows(COLUMNS, [hostile])
        out = stream.getvalue()
        assert ("\x1b" in out) == (mode == "csv")  # CSV to a file keeps the exact text
        if mode == "tsv":
            header, line = out.splitlines()
            assert header.split("\t") == ["id", "at", "model", "cost", "note"]
            assert line.split("\t")[-1] == "=1+1\\x1b[2J\\nsecond"
        elif mode == "json":
            assert json.loads(out)["note"] == "=1+1\x1b[2J\nsecond"  # exact, escaped in JSON
        else:
            [row] = list(csv.DictReader(io.StringIO(out)))
            assert row["note"] == "'=1+1\x1b[2J\nsecond"  # the formula neutralised


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_csv_on_a_terminal_is_inert_too() -> None:
    stream = _Terminal()
    Output("csv", stream).rows(COLUMNS, [{**ROW, "note": "@x\x1b]0;t\x07"}])
    assert "\x1b" not in stream.getvalue() and "'@x\\x1b]0;t\\x07" in stream.getvalue()
