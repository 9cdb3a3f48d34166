"""Making stored text inert before it reaches a terminal or a spreadsheet.

Everything read back from the store (user ids, session names, prompts, answers, error
messages, alert messages) is attacker-controlled. Two helpers, used by every face that prints
or exports stored text:

* :func:`safe_text` escapes what a terminal would interpret: C0 and C1 control characters (ESC
  starts ANSI/OSC sequences: screen clears, title changes, hyperlinks), DEL, newlines and tabs
  (they would break a table row or a TSV line), bidirectional overrides and marks (U+202E makes
  ``exe.txt`` print as ``txt.exe``), zero-width characters and line/paragraph separators. Each
  becomes a visible escape (``\\x1b``, ``\\n``, ``\\u202e``), so the text prints literally.
  Rich markup (``[red]``) is not a terminal feature: the CLI never hands stored text to a
  markup parser (it writes plain strings or ``rich.text.Text``), so brackets need no escaping.
* :func:`page_text` is the same for a web page (the dashboard's every output): markup is
  escaped by Jinja's autoescape, and newlines and tabs are layout there, so only the
  invisible controls are made visible (bidi overrides and marks, zero-width characters,
  separators, BOM, C0/C1 controls other than newline, carriage return and tab).
* :func:`csv_cell` neutralises spreadsheet formulas: a text cell starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice), so Excel,
  LibreOffice and Google Sheets show it as text instead of running it.

Leaf module: imports nothing from the package.

>>> safe_text("[red]x\\x1b[2J\\u202eevil\\n")
'[red]x\\\\x1b[2J\\\\u202eevil\\\\n'
>>> csv_cell("=HYPERLINK(1)"), csv_cell(-1.5), csv_cell("fine")
("'=HYPERLINK(1)", -1.5, 'fine')
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["csv_cell", "page_text", "safe_text"]

#: what a terminal interprets or what breaks one-line output: C0, DEL, C1, zero-width and
#: bidi controls (ALM, LRM/RLM, embeddings/overrides, isolates), line/paragraph separators,
#: BOM, and lone surrogates (which cannot even be encoded).
_INVISIBLE = "\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
#: ... of which a web page shows all but the line breaks and tabs (layout, not controls)
_UNSAFE_ON_PAGE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_INVISIBLE}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(value: Any) -> str:
    """``value`` as one line of inert text (``None`` is ``""``); see the module docstring."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(_escape, text)


def page_text(value: Any) -> Any:
    """A string with its invisible controls made visible (``\\u202e``), for a web page;
    anything else (numbers, ``None``, already-safe markup) as it is."""
    if type(value) is not str:
        return value
    return _UNSAFE_ON_PAGE.sub(_escape, value)


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as written: formula-looking text gets a ``'``.

    Numbers are left alone (``-1.5`` stays a number); only strings can carry formulas.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
