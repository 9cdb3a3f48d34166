"""``helicone-lite prompts``: list, show, versions, diff, deploy, rollback, history, files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.cli import main
from helicone_lite.prompts import PromptRegistry

from .conftest import TRIAGE_SYSTEM


def cli(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), "prompts", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def seeded(home: Path) -> PromptRegistry:
    store = helicone_lite.Store(home / "helicone.db")
    registry = PromptRegistry(store)
    registry.create(
        "triage",
        messages=[
            {"role": "system", "content": TRIAGE_SYSTEM},
            {"role": "user", "content": "Symptoms: {{ symptoms }}"},
        ],
        model="gpt-4o-mini",
        description="Urgency classifier",
        temperature=0.1,
    )
    return registry


def test_export_import_round_trip(
    home: Path, tmp_path: Path, seeded: PromptRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(home, capsys, "export", "triage")
    assert code == 0
    document = json.loads(out)
    assert document["format"] == "helicone-lite.prompt/1"
    assert (document["id"], document["version"], document["model"]) == ("triage", 1, "gpt-4o-mini")
    assert document["messages"][0] == {"role": "system", "content": TRIAGE_SYSTEM}
    assert out.index('"role"') < out.index('"content"')  # readable: role first, indented
    path = tmp_path / "triage.prompt.json"
    path.write_text(out)

    assert cli(home, capsys, "import", str(path))[1] == "triage: unchanged, still v1\n"
    document["messages"][1]["content"] = "Symptoms (latest first): {{ symptoms }}"
    document["params"]["max_tokens"] = 200
    path.write_text(json.dumps(document, indent=2))
    assert cli(home, capsys, "import", str(path), "--deploy", "staging")[1] == (
        "triage: new version v2\ntriage staging: nothing -> v2\n"
    )
    v2 = seeded.get("triage", version=2)
    assert v2.source == "import" and dict(v2.params) == {"temperature": 0.1, "max_tokens": 200}
    assert seeded.get("triage", environment="staging").version == 2

    fresh = home.parent / "elsewhere"  # the same file imported into another home: same content
    assert main(["--home", str(fresh), "prompts", "import", str(path)]) == 0
    capsys.readouterr()
    copy = PromptRegistry(helicone_lite.Store(fresh / "helicone.db")).get("triage")
    assert (copy.version, copy.template_hash) == (1, v2.template_hash)


def test_import_from_stdin_and_bad_files(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = {"id": "p", "messages": [{"role": "user", "content": "hi"}]}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(doc)))
    assert cli(home, capsys, "import", "-")[1] == "p: new version v1\n"
    bad = tmp_path / "bad.json"
    for text, message in [
        ("not json", "not JSON"),
        ('{"id": "p"}', "'messages' is missing"),
        ('{"id": "p", "format": "other/9", "messages": []}', "format 'other/9'"),
        (
            json.dumps({"id": "p", "messages": [{"role": "user", "content": "{% include 'x' %}"}]}),
            "cannot load other templates",
        ),
    ]:
        bad.write_text(text)
        code, _, err = cli(home, capsys, "import", str(bad))
        assert code == 1 and message in err
    assert cli(home, capsys, "import", str(tmp_path / "missing.json"))[0] == 1


def test_deploy_rollback_history(
    home: Path, seeded: PromptRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded.update("triage", temperature=0.3)
    assert cli(home, capsys, "deploy", "triage", "1")[1] == "triage production: nothing -> v1\n"
    assert cli(home, capsys, "deploy", "triage", "2")[1] == "triage production: v1 -> v2\n"
    assert cli(home, capsys, "rollback", "triage")[1] == (
        "triage production: rolled back v2 -> v1\n"
    )
    code, _, err = cli(home, capsys, "rollback", "triage")
    assert code == 1 and "no earlier version" in err
    code, out, _ = cli(home, capsys, "history", "triage", "--json")
    moves = [json.loads(line) for line in out.splitlines()]
    assert [(m["action"], m["from"], m["to"]) for m in moves] == [
        ("deploy", "", 1),
        ("deploy", 1, 2),
        ("rollback", 2, 1),
    ]
    assert all(m["time"].endswith("Z") for m in moves)
    code, out, _ = cli(home, capsys, "history", "triage")
    assert code == 0 and "rollback" in out
    assert cli(home, capsys, "deploy", "triage", "9")[0] == 1


def test_list_show_versions_diff(
    home: Path, seeded: PromptRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded.update(
        "triage",
        messages=[
            {"role": "system", "content": TRIAGE_SYSTEM + " Be brief."},
            {"role": "user", "content": "Symptoms: {{ symptoms }}"},
        ],
    )
    seeded.deploy("triage", 2)
    code, out, _ = cli(home, capsys, "list", "--json")
    assert [json.loads(line) for line in out.splitlines()] == [
        {
            "id": "triage",
            "latest": 2,
            "environments": "production=v2",
            "source": "api",
            "updated": json.loads(out.splitlines()[0])["updated"],
            "description": "Urgency classifier",
        }
    ]
    code, out, _ = cli(home, capsys, "show", "triage")
    assert "prompt triage version 2" in out and "deployed to: production" in out
    assert "inputs: department: string, symptoms: any" in out and "Be brief." in out
    code, out, _ = cli(home, capsys, "show", "triage", "--version", "1", "--json")
    assert json.loads(out)["version"] == 1
    code, out, _ = cli(home, capsys, "versions", "triage", "--json")
    assert [(v["version"], v["environments"], v["calls"]) for v in map(json.loads, out.splitlines())] == [
        (1, "", 0),
        (2, "production", 0),
    ]
    code, out, _ = cli(home, capsys, "diff", "triage", "1", "2")
    assert "--- triage v1" in out and "+++ triage v2" in out
    changed = [
        line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    assert changed == [f"-{TRIAGE_SYSTEM}", f"+{TRIAGE_SYSTEM} Be brief."]
    assert "identical" in cli(home, capsys, "diff", "triage", "1", "1")[1]
    code, _, err = cli(home, capsys, "show", "nope")
    assert code == 1 and "'nope' is not in the registry" in err


def test_versions_table_includes_call_figures(
    home: Path, seeded: PromptRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seeded.store
    store.write(
        "requests",
        {
            "id": "r1",
            "prompt_id": "triage",
            "prompt_version": 1,
            "status": 200,
            "cost_usd": 0.5,
            "latency_ms": 120.0,
        },
    )
    store.flush()
    code, out, _ = cli(home, capsys, "versions", "triage", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["calls"], row["errors"], row["cost_usd"], row["mean_latency_ms"]) == (
        1,
        0,
        0.5,
        120.0,
    )
    code, out, _ = cli(home, capsys, "versions", "triage")
    assert code == 0 and "$0.5000" in out
