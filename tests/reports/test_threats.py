"""Threats per user: calls screened by LLM security (a custom detector, through the real
stack and the fake provider), flagged or blocked, reported per user and category on SQLite and
PostgreSQL, and listed by ``helicone-lite threats`` (table, --json, --csv, piped TSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.cli import main
from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._threats import _SQL
from helicone_lite.security import ScanContext, Verdict
from helicone_lite.testing import FakeProvider

from .conftest import KEY, Clock

SECURE = {"Helicone-LLM-Security-Enabled": "true"}
ESC = "\x1b[31m"


class Keywords:
    """Flags a text by keyword: ``inject`` (0.97), ``weapon`` (0.8), ``hack`` (0.6)."""

    name = "keywords"
    WORDS = (("inject", "prompt_injection", 0.97), ("weapon", "S9", 0.8), ("hack", "S2", 0.6))

    def scan(self, text: str, context: ScanContext) -> Verdict:
        for word, category, score in self.WORDS:
            if word in text:
                return Verdict(True, category, score, self.name)
        return Verdict(False, None, 0.05, self.name)


# user, text, mode (flag: passes with the flag; block: refused before the provider)
PLAN = (
    ("mallory", "please inject this", "flag"),
    ("mallory", "inject again", "block"),
    ("mallory", "build a weapon", "flag"),
    ("mallory", "hello", "flag"),
    ("eve", "hack the bank", "block"),
    ("eve", "good morning", "flag"),
    ("alice", "what is diabetes?", "flag"),
    (None, "inject without a user", "flag"),
    (f"{ESC}bob", "inject", "flag"),
)


def _fill(fake: FakeProvider, home: Path, clock: Clock, database: str) -> helicone_lite.Client:
    made = {
        mode: helicone_lite.Client(
            api_key=KEY,
            base_url=fake.openai_base_url,
            home=home,
            clock=clock,
            database_url=database,
            security_detectors=[Keywords()],
            security_classifier="none",
            security_mode=mode,
        )
        for mode in ("flag", "block")
    }
    for user, text, mode in PLAN:
        # a hostile user id can only come through the body's ``user`` (headers are checked)
        named = {"user": user} if user and user.startswith(ESC) else {}
        headers = {**SECURE, **({"Helicone-User-Id": user} if user and not named else {})}
        try:
            made[mode].chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": text}],
                extra_headers=headers,
                **named,  # type: ignore[arg-type]
            )
        except openai.BadRequestError:
            assert mode == "block"
        clock.advance(60)
    # a call nobody screened does not count
    made["flag"].chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "inject, unscreened"}],
        extra_headers={"Helicone-User-Id": "alice"},
    )
    for client in made.values():
        client.flush()
    made["block"].close()
    return made["flag"]


@pytest.fixture
def store(fake: FakeProvider, home: Path, clock: Clock, database: str) -> Iterator[Any]:
    client = _fill(fake, home, clock, database)
    yield client.store
    client.close()


def test_threats_per_user_on_both_engines(store: Any, clock: Clock) -> None:
    reports = Reports(store, clock=clock)
    rows = {r.user_id: r for r in reports.threats()}
    assert set(rows) == {"mallory", "eve", None, f"{ESC}bob"}  # alice: screened, no threat
    mallory = rows["mallory"]
    assert (mallory.screened, mallory.threats, mallory.blocked, mallory.flagged) == (4, 3, 1, 2)
    assert mallory.categories == {"prompt_injection": 2, "S9": 1}
    assert mallory.top_category == "prompt_injection"
    assert mallory.max_score == pytest.approx(0.97)
    assert mallory.threat_rate == pytest.approx(0.75)
    eve = rows["eve"]
    assert (eve.screened, eve.threats, eve.blocked, eve.flagged) == (2, 1, 1, 0)
    assert eve.categories == {"S2": 1}
    assert reports.threats()[0].user_id == "mallory"  # most threats first
    everyone = {r.user_id: r for r in reports.threats(include_clean=True)}
    assert everyone["alice"].threats == 0 and everyone["alice"].screened == 1
    only = reports.threats(Filters(user="eve"))
    assert [r.user_id for r in only] == ["eve"]
    assert [r.user_id for r in reports.threats(sort="score", limit=1)] == ["mallory"]
    assert reports.threats(Filters(since="30s")) == []
    assert json.dumps([r.to_dict() for r in reports.threats()])  # JSON-able
    with pytest.raises(OptionsError, match="sort"):
        reports.threats(sort="sideways")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("filters", [Filters(), Filters(since="7d"), Filters(model="gpt-4o")])
def test_threats_read_the_screened_rows_only(store: Any, clock: Clock, filters: Filters) -> None:
    """The statement walks the partial index of screened rows, never a whole-log index: on a
    store without statistics SQLite's planner chose ``idx_requests_user`` for the ``GROUP BY``
    order (every request read: 1.9 s on 1,000,000, benchmarks/bench_dashboard.py)."""
    where, params = filters.where(clock())
    plan = [
        r["detail"] for r in store.query("EXPLAIN QUERY PLAN " + _SQL.format(where=where), params)
    ]
    assert any("USING INDEX idx_requests_security" in step for step in plan), plan
    assert not any("idx_requests_user" in step or step == "SCAN requests" for step in plan), plan


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_threats_command(
    capsys: pytest.CaptureFixture[str], store: Any, home: Path, clock: Clock
) -> None:
    code, out, _ = run(capsys, "threats", "--home", str(home), "--json")
    assert code == 0
    data = {r["user_id"]: r for r in map(json.loads, out.splitlines())}  # JSON lines
    assert data["mallory"]["threats"] == 3 and data["mallory"]["categories"]["S9"] == 1
    code, out, _ = run(capsys, "threats", "--home", str(home), "--csv", "--user", "eve")
    found = list(csv.DictReader(io.StringIO(out)))
    assert [r["user_id"] for r in found] == ["eve"] and found[0]["blocked"] == "1"
    code, out, _ = run(capsys, "threats", "--home", str(home))  # captured: piped, so TSV
    lines = out.splitlines()
    assert lines[0].split("\t")[:3] == ["user", "threats", "blocked"]
    assert lines[1].split("\t")[:3] == ["mallory", "3", "1"]
    assert "\x1b" not in out  # stored text is inert in the terminal
    code, out, _ = run(capsys, "threats", "--home", str(home), "--all", "--json")
    assert "alice" in {json.loads(line)["user_id"] for line in out.splitlines()}
    code, _, err = run(capsys, "threats", "--home", str(home), "--since", "tomorrow")
    assert code == 2 and "since" in err
