"""The report commands: tables, trees and bars for people, JSON with the right numbers for
programs, the shared filters, and one clear line for bad input."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.alerts import AlertRule
from helicone_lite.cli import main
from helicone_lite.testing import FakeProvider, Reply

from .conftest import Clock

PLAN = (  # path, model, department, user
    ("/triage", "gpt-4o-mini", "cardiology", "patient-7829"),
    ("/triage/analysis", "gpt-4o", "cardiology", "patient-7829"),
    ("/triage/analysis/lab-review", "gpt-4o-mini", "neurology", "patient-4521"),
    ("/triage/report", "gpt-4o-mini", "neurology", "patient-4521"),
)


@pytest.fixture
def logged(fake: FakeProvider, home: Path, clock: Clock) -> dict[str, Any]:
    """A home with one four-agent session, scores, and an alert that fired."""
    client = helicone_lite.Client(
        api_key="sk-test",
        base_url=fake.openai_base_url,
        home=home,
        clock=clock,
        alerts=[AlertRule.cost_over(0.001, name="tiny-budget", notify=[lambda e: None])],
    )
    session, ids = str(uuid.uuid4()), []
    for path, model, department, user in PLAN:
        fake.enqueue(Reply(text="ok", prompt_tokens=400, completion_tokens=100))
        reply = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": path}],
            extra_headers={
                "Helicone-Session-Id": session,
                "Helicone-Session-Path": path,
                "Helicone-Property-Department": department,
                "Helicone-User-Id": user,
            },
        )
        ids.append(reply.headers["Helicone-Id"])
        clock.advance(3600)
    client.score(ids[1], {"accuracy": 80})
    client.feedback(ids[1], True)
    client.close()
    rows = client.store.query("SELECT id, cost_usd, model FROM requests ORDER BY created_at")
    return {"home": str(home), "session": session, "ids": ids, "rows": rows}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    """One JSON object (a tree, a costs report), or the rows of a listing (JSON lines)."""
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    values = [json.loads(line) for line in out.splitlines()]
    single = argv[0] == "costs" or (len(argv) > 1 and argv[1] == "show")
    return values[0] if single else values


def test_sessions_list_and_tree(capsys: pytest.CaptureFixture[str], logged: dict[str, Any]) -> None:
    home, session = logged["home"], logged["session"]
    total = sum(r["cost_usd"] for r in logged["rows"])
    data = run_json(capsys, "sessions", "--home", home)
    assert [s["session_id"] for s in data] == [session]
    assert data[0]["requests"] == 4 and data[0]["cost_usd"] == pytest.approx(total)
    assert data[0]["duration_ms"] > 3 * 3600 * 1000
    code, out, _ = run(capsys, "--home", home, "sessions")
    assert code == 0 and f"\n{session}\t" in out  # piped: the full id, tab-separated
    tree = run_json(capsys, "sessions", "show", session[:8], "--home", home)
    triage = tree["tree"]["children"][0]
    assert triage["path"] == "/triage" and triage["cost_usd"] == pytest.approx(total)
    analysis = triage["children"][0]
    assert analysis["cost_usd"] == pytest.approx(
        logged["rows"][1]["cost_usd"] + logged["rows"][2]["cost_usd"]
    )
    code, out, _ = run(capsys, "sessions", "show", session, "--home", home)
    assert code == 0
    assert "└──" in out or "├──" in out  # drawn as a tree
    assert out.index("/triage/analysis/lab-review") < out.index("/triage/report")


def test_users_properties_costs_scores(
    capsys: pytest.CaptureFixture[str], logged: dict[str, Any]
) -> None:
    home, rows = logged["home"], logged["rows"]
    users = {u["user_id"]: u for u in run_json(capsys, "users", "--home", home)}
    assert users["patient-7829"]["requests"] == 2
    assert users["patient-7829"]["cost_usd"] == pytest.approx(
        rows[0]["cost_usd"] + rows[1]["cost_usd"]
    )
    assert users["patient-7829"]["scores"]["accuracy"] == 80
    assert users["patient-4521"]["p95_latency_ms"] > 0
    departments = run_json(capsys, "properties", "department", "--home", home)
    assert {d["key"]: d["requests"] for d in departments} == {"cardiology": 2, "neurology": 2}
    names = run_json(capsys, "properties", "--home", home)
    assert names == [{"name": "department", "requests": 4, "values": 2}]
    costs = run_json(capsys, "costs", "--home", home)
    assert costs["by"] == "model" and costs["total"]["requests"] == 4
    assert {r["key"]: r["requests"] for r in costs["rows"]} == {"gpt-4o": 1, "gpt-4o-mini": 3}
    assert costs["cache"]["hits"] == 0
    series = run_json(capsys, "costs", "--every", "hour", "--by", "model", "--home", home)
    assert series["every"] == "hour" and len({b["start"] for b in series["buckets"]}) == 4
    assert sum(b["cost_usd"] for b in series["buckets"]) == pytest.approx(
        sum(r["cost_usd"] for r in rows)
    )
    by_user = run_json(
        capsys, "costs", "--by", "user", "--property", "department=neurology", "--home", home
    )
    assert [r["key"] for r in by_user["rows"]] == ["patient-4521"]
    scores = run_json(capsys, "scores", "--by", "model", "--home", home)
    assert {(s["key"], s["name"]): s["mean"] for s in scores} == {
        ("gpt-4o", "accuracy"): 80.0,
        ("gpt-4o", "helicone-score-feedback"): 1.0,
    }
    for argv in (
        ["users"],
        ["properties", "department"],
        ["costs"],
        ["costs", "--every", "day"],
        ["scores"],
    ):
        code, out, err = run(capsys, *argv, "--home", home)
        assert code == 0 and out.strip(), (argv, err)
    code, out, _ = run(capsys, "costs", "--home", home)
    assert out.splitlines()[0].split("\t")[:3] == ["model", "provider", "requests"]
    assert "gpt-4o-mini\topenai\t3\t" in out  # piped: tab-separated, full values


def test_shared_filters(capsys: pytest.CaptureFixture[str], logged: dict[str, Any]) -> None:
    home = logged["home"]

    def users(*argv: str) -> dict[str, int]:
        return {
            u["user_id"]: u["requests"] for u in run_json(capsys, "users", "--home", home, *argv)
        }

    assert users("--model", "gpt-4o") == {"patient-7829": 1}
    assert users("--provider", "openai") == {"patient-7829": 2, "patient-4521": 2}
    assert users("--user", "patient-4521") == {"patient-4521": 2}
    assert users("--session", logged["session"]) == {"patient-7829": 2, "patient-4521": 2}
    assert users("--status", "error") == {}
    assert users("--status", "200", "--property", "department=cardiology") == {"patient-7829": 2}
    assert users("--since", "2026-01-01", "--until", "2020-01-01") == {}
    assert users("--prompt-id", "nope") == {}
    assert users("--prompt-id", "nope", "--prompt-version", "2") == {}


def test_alerts_command(capsys: pytest.CaptureFixture[str], logged: dict[str, Any]) -> None:
    home = logged["home"]
    rules = run_json(capsys, "alerts", "--home", home)
    assert [(r["id"], r["metric"], r["threshold"]) for r in rules] == [
        ("tiny-budget", "cost", 0.001)
    ]
    assert rules[0]["fired"] >= 1
    history = run_json(capsys, "alerts", "history", "tiny-budget", "--home", home)
    assert len(history) == rules[0]["fired"] and history[0]["alert_id"] == "tiny-budget"
    code, out, _ = run(capsys, "alerts", "--home", home)
    assert code == 0 and "tiny-budget" in out


def test_export(capsys: pytest.CaptureFixture[str], logged: dict[str, Any], tmp_path: Path) -> None:
    home = logged["home"]
    code, out, _ = run(capsys, "export", "csv", "--model", "gpt-4o-mini", "--home", home)
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == 3 and {r["model"] for r in table} == {"gpt-4o-mini"}
    assert "request_body" not in table[0]
    target = tmp_path / "log.jsonl"
    code, _, err = run(capsys, "export", "jsonl", "--bodies", "-o", str(target), "--home", home)
    assert code == 0 and "exported 4 requests" in err
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in lines] == logged["ids"]
    assert lines[0]["properties"] == {"department": "cardiology"}
    assert lines[0]["request_body"]["model"] == "gpt-4o-mini"
    code, out, _ = run(capsys, "export", "csv", "--columns", "id,cost_usd", "--home", home)
    assert out.splitlines()[0] == "id,cost_usd"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["users", "--status", "sometimes"], "status"),
        (["users", "--since", "the other day"], "since"),
        (["users", "--property", "department"], "NAME=VALUE"),
        (["sessions", "show", "no-such-session"], "no-such-session"),
        (["costs", "--every", "day", "--top", "0"], "--top"),
        (["export", "csv", "--columns", "id,password"], "password"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], logged: dict[str, Any], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv, "--home", logged["home"])
    assert code == 2 and out == ""
    assert err.startswith(f"helicone-lite {argv[0]}:") and message in err
    assert len(err.strip().splitlines()) == 1
