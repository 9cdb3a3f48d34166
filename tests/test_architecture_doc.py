"""docs/architecture.md stays true: its option table names every ``Options`` field, with the
field's header, and the first module it names for a field reads that field."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.options import Options
from helicone_lite.options._parse import _SPECS

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
PACKAGE = Path(helicone_lite.__file__).parent
HEADING = "### Options and the code that acts on them"
MODULE = re.compile(r"\b[a-z_]+/[a-z_]+\.py\b")


def option_table() -> dict[str, tuple[str, str]]:
    """field -> (header cell, acted-on-by cell), from the table under ``HEADING``."""
    text = DOC.read_text(encoding="utf-8")
    assert HEADING in text, f"{DOC.name} lost its option table"
    section = text.split(HEADING, 1)[1].split("\n#", 1)[0]
    table: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            field = cells[0].strip("`")
            assert field not in table, f"{field} is in the table twice"
            table[field] = (cells[1], cells[2])
    return table


FIELDS = [field.name for field in dataclasses.fields(Options)]


def test_every_option_field_is_in_the_table_and_nothing_else() -> None:
    assert sorted(option_table()) == sorted(FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_a_row_names_the_header_and_a_module_that_reads_the_field(field: str) -> None:
    header, acted_on_by = option_table()[field]
    spec = next(spec for spec in _SPECS if spec.field == field)
    assert header == f"`{spec.header}`"
    modules = MODULE.findall(acted_on_by)
    assert modules, f"{field}: no module named"
    for module in modules:
        assert (PACKAGE / module).is_file(), f"{field}: helicone_lite/{module} does not exist"
    first = (PACKAGE / modules[0]).read_text(encoding="utf-8")
    assert re.search(rf"\b{field}\b", first), f"{field}: {modules[0]} never reads it"
