"""The real ``helicone-lite`` in a subprocess, piped, over a home filled by real calls:
output a script can use, stored text printed literally and inertly, ``--home`` anywhere,
clear one-line errors, ``requests show``, ``info``, an offline ``demo``."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest

from .conftest import (
    FORMULA,
    HOSTILE_SESSION,
    HOSTILE_TEXT,
    HOSTILE_USER,
    RAW_SESSION,
    Logged,
    assert_inert,
    columns_of,
    run_cli,
)

READ_COMMANDS = (  # (the report commands share one code path: users stands for them)
    ["requests"],
    ["requests", "show", "abc"],
    ["sessions", "show", "abc"],
    ["users"],
    ["alerts"],
    ["query", "SELECT 1"],
    ["export", "csv"],
    ["prompts", "list"],
    ["cache", "stats"],
    ["prune", "--older-than", "30d", "--yes"],
    ["delete", "--user", "x", "--yes"],
    ["vacuum"],
)


def jsonl(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_requests_piped_is_tsv_with_full_ids_and_literal_text(logged: Logged) -> None:
    done = run_cli("requests", "--home", str(logged.home), "-n", "50")
    assert done.returncode == 0, done.stderr
    table = columns_of(done.stdout)
    assert table[0] == [
        "id",
        "time",
        "status",
        "model",
        "cost",
        "tokens",
        "ms",
        "user",
        "session",
        "path",
        "error",
    ]
    assert all(len(row) == len(table[0]) for row in table)  # one line per row, always
    by_id = {row[0]: row for row in table[1:]}
    assert set(logged.ids.values()) <= set(by_id)  # full ids: grep and cut work
    hostile = by_id[logged.ids["hostile"]]
    assert hostile[7] == HOSTILE_USER and hostile[8] == HOSTILE_SESSION  # not eaten as markup
    assert by_id[logged.ids["hit"]][2] == "200 HIT"
    assert "raw-\\x1b[2J-row" in by_id  # control characters escaped, even in ids
    assert by_id["raw-\\x1b[2J-row"][7] == "eve\\x1b[31m\\u202e"
    assert_inert(done.stdout)


def test_every_listing_speaks_json_lines_and_csv(logged: Logged) -> None:
    home = str(logged.home)
    rows = jsonl(run_cli("requests", "--json", "--home", home, "-n", "50").stdout)
    assert {r["id"] for r in rows} >= set(logged.ids.values())
    hostile = next(r for r in rows if r["id"] == logged.ids["hostile"])
    assert hostile["user_id"] == HOSTILE_USER and hostile["cost_usd"] > 0
    for argv in (
        ["users"],
        ["sessions"],
        ["properties", "department"],
        ["scores"],
        ["alerts"],
        ["prompts", "list"],
        ["query", "SELECT id FROM requests"],
    ):
        done = run_cli(*argv, "--json", "--home", home)
        assert done.returncode == 0, (argv, done.stderr)
        assert all(isinstance(r, dict) for r in jsonl(done.stdout)), argv
        done = run_cli(*argv, "--csv", "--home", home)
        assert done.returncode == 0, (argv, done.stderr)
    users = {r["user_id"] for r in jsonl(run_cli("users", "--json", "--home", home).stdout)}
    assert {"bob", "carol", "dave", HOSTILE_USER} <= users


def test_csv_neutralises_formulas(logged: Logged) -> None:
    home = str(logged.home)
    for argv, expected in (
        (["query", "SELECT name, value FROM request_properties", "--csv"], "'" + FORMULA),
        (["properties", "department", "--csv"], "'" + FORMULA),
        (["export", "csv"], "'" + RAW_SESSION),
        (["requests", "--csv"], "'" + RAW_SESSION),
        (["sessions", "--csv"], "'" + RAW_SESSION),
    ):
        done = run_cli(*argv, "--home", home)
        assert done.returncode == 0, (argv, done.stderr)
        cells = [cell for row in csv.reader(io.StringIO(done.stdout)) for cell in row]
        assert expected in cells, argv
        assert not any(cell.startswith(("=", "+", "@", "-")) for cell in cells), argv


def test_request_show_in_full_by_unique_prefix(logged: Logged) -> None:
    home = str(logged.home)
    rid = logged.ids["hostile"]
    done = run_cli("requests", "show", rid[:24], "--home", home)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"id\t{rid}" in out and "model\tgpt-4o" in out and f"user\t{HOSTILE_USER}" in out
    assert "temperature\t0.2" in out and "max_tokens\t50" in out  # the options
    assert "  [system]\n    Be brief." in out and "  [user]" in out and "  [assistant]" in out
    assert "line1\\nline2" not in out and "    line2 \\u202eevil" in out  # one escaped line each
    assert_inert(out)
    retried = run_cli("requests", "show", logged.ids["retried"], "--home", home).stdout
    assert "attempts (fallback path: " in retried and "500" in retried
    assert "prompt\ttriage-prompt" in retried
    hit = run_cli("requests", "show", logged.ids["hit"], "--json", "--home", home)
    full = json.loads(hit.stdout)
    assert full["cache_status"] == "HIT" and full["cache_reference_id"] == logged.ids["miss"]
    assert full["request_body"]["messages"][1]["content"] == "what is diabetes?"
    triage = json.loads(
        run_cli("requests", "show", logged.ids["triage"], "--json", "--home", home).stdout
    )
    assert triage["scores"] == {"accuracy": 90}
    unknown = run_cli("requests", "show", "zzz-nope", "--home", home)
    assert unknown.returncode == 2 and "no request 'zzz-nope'" in unknown.stderr
    ambiguous = run_cli("requests", "show", "", "--home", home)
    assert ambiguous.returncode == 2 and len(ambiguous.stderr.splitlines()) == 1


def test_requests_filters(logged: Logged) -> None:
    home = str(logged.home)

    def ids(*argv: str) -> set[object]:
        done = run_cli("requests", "--json", "--home", home, "-n", "100", *argv)
        assert done.returncode == 0, (argv, done.stderr)
        return {r["id"] for r in jsonl(done.stdout)}

    assert ids("--model", "gpt-4o") == {logged.ids["hostile"]}
    assert ids("--user", HOSTILE_USER) == {logged.ids["hostile"]}
    assert ids("--session", HOSTILE_SESSION) == {logged.ids["triage"], logged.ids["hostile"]}
    assert ids("--property", "department=cardiology") == {logged.ids["triage"]}
    assert ids("--cache", "hit") == {logged.ids["hit"]}
    assert ids("--prompt", "triage-prompt") == {logged.ids["retried"]}
    assert ids("--status", "error") == set()
    assert ids("--since", "2026-06-01", "--user", "eve\x1b[31m\u202e") == set()
    assert ids("--until", "2026-06-01") == {"raw-\x1b[2J-row"}
    bad = run_cli("requests", "--status", "sometimes", "--home", home)
    assert bad.returncode == 2 and "status" in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_sessions_show_has_request_ids(logged: Logged) -> None:
    done = run_cli("sessions", "show", HOSTILE_SESSION, "--home", str(logged.home))
    assert done.returncode == 0, done.stderr
    assert logged.ids["triage"] in done.stdout and logged.ids["hostile"] in done.stdout
    assert f"session {HOSTILE_SESSION}" in done.stdout
    assert_inert(done.stdout)


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_no_store_is_an_error_and_never_created(tmp_path: Path, argv: list[str]) -> None:
    home = tmp_path / "nonexistent" / "x"
    after = run_cli(*argv, "--home", str(home))
    assert after.returncode == 1, after.stderr
    assert after.stderr == (
        f"helicone-lite {argv[0]}: no store at {home / 'helicone.db'}; run your app with "
        "helicone_lite.Client(...) first\n"
    )
    assert not home.exists()


def test_home_before_or_after_and_from_the_environment(logged: Logged, tmp_path: Path) -> None:
    home = str(logged.home)
    before = run_cli("--home", home, "users", "--json").stdout
    after = run_cli("users", "--json", "--home", home).stdout
    from_env = run_cli("users", "--json", env={"HELICONE_LITE_HOME": home}).stdout
    assert before == after == from_env and before
    nested = run_cli("requests", "show", logged.ids["hit"], "--home", home)
    assert nested.returncode == 0, nested.stderr
    missing = run_cli("users", env={"HELICONE_LITE_HOME": str(tmp_path / "none")})
    assert missing.returncode == 1 and "no store at" in missing.stderr
    assert not (tmp_path / "none").exists()


def test_empty_store_says_so(tmp_path: Path) -> None:
    import helicone_lite

    home = tmp_path / "empty"
    helicone_lite.Client(api_key="sk-x", base_url="http://127.0.0.1:9/v1", home=home).close()
    done = run_cli("requests", "--home", str(home))
    assert done.returncode == 0 and done.stdout.startswith("id\ttime")
    assert done.stderr == f"no requests in {home / 'helicone.db'}\n"


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_backend_errors_are_one_line_exit_1(logged: Logged, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{_dead_port()}/0"
    for argv in (["cache", "stats"], ["cache", "clear"], ["limits"]):
        done = run_cli(*argv, "--home", str(logged.home), env={"HELICONE_LITE_REDIS_URL": url})
        assert done.returncode == 1, (argv, done.stderr)
        assert len(done.stderr.splitlines()) == 1 and url in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "helicone.db").write_bytes(b"not a database, just bytes" * 100)
    done = run_cli("requests", "--home", str(broken))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert str(broken / "helicone.db") in done.stderr


def test_info(logged: Logged) -> None:
    done = run_cli("info", "--home", str(logged.home), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["version"] and info["home"] == str(logged.home)
    assert info["store"] == str(logged.home / "helicone.db")
    assert info["schema version"] >= 3 and info["requests"] == 6 and info["scores"] == 1
    assert info["cache backend"].startswith("diskcache ") and info["redis"].startswith("not")
    table = run_cli("info", "--home", str(logged.home)).stdout
    assert "requests\t6" in table and "store size\t" in table


def test_info_says_whether_redis_answers(redis_server: str, tmp_path: Path) -> None:
    up = json.loads(
        run_cli("info", "--json", "--redis-url", redis_server, "--home", str(tmp_path)).stdout
    )
    assert up["redis"].startswith("answers") and up["store"].startswith("none at")
    dead = f"redis://127.0.0.1:{_dead_port()}/0"
    down = json.loads(
        run_cli("info", "--json", "--redis-url", dead, "--home", str(tmp_path)).stdout
    )
    assert down["redis"].startswith("does not answer") and not (tmp_path / "helicone.db").exists()


def test_demo_is_offline_whatever_the_environment(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    env = {
        "OPENAI_API_KEY": "sk-proj-real-looking-key-000000000000",
        "OPENAI_BASE_URL": "http://192.0.2.1:9/v1",  # TEST-NET: would hang or fail if used
        "ANTHROPIC_API_KEY": "sk-ant-real-looking",
        "ANTHROPIC_BASE_URL": "http://192.0.2.1:9",
        "GOOGLE_API_KEY": "AIza-real-looking",
        "HELICONE_LITE_REDIS_URL": f"redis://127.0.0.1:{_dead_port()}/0",
    }
    done = run_cli("demo", "--home", str(home), env=env)
    assert done.returncode == 0, done.stderr
    assert "against the built-in fake provider" in done.stdout
    assert f"helicone-lite --home {home} requests" in done.stdout  # hints name the home
    assert "MISS → HIT → HIT" in done.stdout
    assert "sk-proj" not in done.stdout + done.stderr
    again = run_cli("requests", "--json", "-n", "100", "--home", str(home))
    assert len(jsonl(again.stdout)) == 14
    assert_inert(done.stdout)
    _ = HOSTILE_TEXT
