"""``--csv`` is CSV on every listing, empty or not: a script reading it with ``csv.DictReader``
gets the header line (as piped TSV does), and ``sessions show ID --csv`` gives the session's
requests as CSV rows, not the JSON object ``--json`` prints."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import helicone_lite

from .conftest import HOSTILE_SESSION, Logged, run_cli


@pytest.mark.parametrize(
    ("argv", "first"), [(["threats"], "user_id"), (["alerts"], "id"), (["scores"], "key")]
)
def test_an_empty_csv_listing_still_has_its_header_line(
    tmp_path: Path, argv: list[str], first: str
) -> None:
    home = tmp_path / "empty"
    helicone_lite.Client(api_key="sk-x", base_url="http://127.0.0.1:9/v1", home=home).close()
    done = run_cli(*argv, "--csv", "--home", str(home))
    assert done.returncode == 0, done.stderr
    header = next(csv.reader(io.StringIO(done.stdout)), None)
    assert header is not None and header[0] == first, done.stdout


def test_sessions_show_csv_is_one_row_per_request(logged: Logged) -> None:
    done = run_cli("sessions", "show", HOSTILE_SESSION, "--csv", "--home", str(logged.home))
    assert done.returncode == 0, done.stderr
    assert not done.stdout.startswith("{"), done.stdout  # was the --json object
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["id"] for r in rows} == {logged.ids["triage"], logged.ids["hostile"]}
    assert {r["path"] for r in rows} == {"/triage"}
    assert all(r["session_id"] == HOSTILE_SESSION for r in rows)
