"""Piped (TSV) output leaves a missing value's field empty, as ``cut``, ``awk`` and pandas
read a missing value, so a call without a user and a user literally named ``(none)`` stay
apart; the terminal's table still says ``(none)`` for people, and ``--csv`` / ``--json`` keep
the two apart as they always did."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

from .conftest import columns_of, run_cli, run_tty

NAMED_NONE = "(none)"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three scored calls: by the user ``(none)`` (team ``(none)``), by no user (no team),
    by ann (team red)."""
    home = tmp_path_factory.mktemp("missing") / "home"
    with FakeProvider() as fake:
        client = helicone_lite.Client(api_key="sk-x", base_url=fake.openai_base_url, home=home)
        try:
            for headers in (
                {"Helicone-User-Id": NAMED_NONE, "Helicone-Property-Team": NAMED_NONE},
                {},
                {"Helicone-User-Id": "ann", "Helicone-Property-Team": "red"},
            ):
                reply = client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": "hi"}],
                    extra_headers=headers,
                )
                client.flush()
                client.score(reply.headers["Helicone-Id"], {"accuracy": 90})
            client.flush()
        finally:
            client.close()
    yield home


@pytest.mark.parametrize(
    ("argv", "groups"),
    [
        (["users"], ["", NAMED_NONE, "ann"]),
        (["costs", "--by", "user"], ["", NAMED_NONE, "ann"]),
        (["scores", "--by", "user"], ["", NAMED_NONE, "ann"]),
        (["properties", "team"], [NAMED_NONE, "red"]),  # calls without the property: no row
    ],
)
def test_piped_output_leaves_a_missing_value_empty(
    home: Path, argv: list[str], groups: list[str]
) -> None:
    done = run_cli(*argv, "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert sorted(row[0] for row in columns_of(done.stdout)[1:]) == sorted(groups), done.stdout


def test_users_csv_and_json_keep_no_user_apart_from_a_user_named_none(home: Path) -> None:
    done = run_cli("users", "--csv", "--home", str(home))
    assert sorted(r["user_id"] for r in csv.DictReader(io.StringIO(done.stdout))) == sorted(
        ["", NAMED_NONE, "ann"]
    )
    done = run_cli("users", "--json", "--home", str(home))
    users = [json.loads(line)["user_id"] for line in done.stdout.splitlines()]
    assert None in users and NAMED_NONE in users, users


def test_the_terminal_table_still_says_none_for_no_user(home: Path) -> None:
    status, out = run_tty("users", "--home", str(home), columns=100)
    assert status == 0, out
    rows = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert rows.count(NAMED_NONE) == 2, out  # no user, and the user named so
