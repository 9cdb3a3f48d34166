"""``helicone-lite limits``: list the live buckets, reset one or all (local and Redis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helicone_lite.cli import main

from .conftest import MESSAGES, Clock, MakeClient


def cli(home: Path, store: str | None, *args: str) -> list[str]:
    extra = ["--redis-url", store] if store else []
    return ["--home", str(home), "limits", *args, *extra]


def listed(
    capsys: pytest.CaptureFixture[str], home: Path, store: str | None, clock: Clock
) -> list[dict[str, Any]]:
    assert main(cli(home, store, "--json"), clock=clock) == 0
    out: list[dict[str, Any]] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    return out


def test_list_and_reset(
    make_client: MakeClient,
    home: Path,
    store: str | None,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = make_client()  # on the injected clock, as is the CLI below: no refill between
    for user in ("alice", "alice", "bob"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            user=user,
            extra_headers={
                "Helicone-RateLimit-Policy": "100;w=3600;s=user, 5000;w=3600;s=property",
                "Helicone-Property-Department": "cardiology",
            },
        )
    rows = listed(capsys, home, store, clock)
    summary = {(r["policy"], r["segment"]): (r["remaining"], r["limit"]) for r in rows}
    assert summary == {
        ("5000;w=3600;s=department", "department=cardiology"): (4997, 5000),
        ("100;w=3600;s=user", "user=alice"): (98, 100),
        ("100;w=3600;s=user", "user=bob"): (99, 100),
    }
    alice = next(r for r in rows if r["segment"] == "user=alice")
    assert alice["reset"] == 72  # 2 of 100 per hour: 72 s until full
    clock.advance(1)  # the CLI refills as the limiter does: 5000/h is ~1.4 a second
    later = {r["segment"]: (r["remaining"], r["reset"]) for r in listed(capsys, home, store, clock)}
    assert later["user=alice"] == (98, 71) and later["department=cardiology"][0] == 4998

    assert main(cli(home, store), clock=clock) == 0  # the table
    table = capsys.readouterr().out
    assert "user=alice" in table and "department=cardiology" in table and "1m" in table

    assert main(cli(home, store, "reset", "100;W=3600;s=USER", "alice")) == 0
    assert capsys.readouterr().out.strip() == "Reset 1 bucket."
    assert {r["segment"] for r in listed(capsys, home, store, clock)} == {
        "user=bob",
        "department=cardiology",
    }
    # s=property names the property it resolved to
    assert main(cli(home, store, "reset", "5000;w=3600;s=property", "department=cardiology")) == 0
    assert capsys.readouterr().out.strip() == "Reset 1 bucket."
    assert main(cli(home, store, "reset", "--all")) == 0
    assert capsys.readouterr().out.strip() == "Reset 1 bucket."
    assert listed(capsys, home, store, clock) == []
    assert main(cli(home, store)) == 0
    assert "No live rate-limit buckets" in capsys.readouterr().err  # piped: header + note


def test_reset_needs_a_target_and_a_valid_policy(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(home, None, "reset")) == 2
    assert "--all" in capsys.readouterr().err
    assert main(cli(home, None, "reset", "100;w=0")) == 2
    assert "window from 1" in capsys.readouterr().err


def test_nothing_stored_yet(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(cli(home, None, "--json")) == 0
    assert capsys.readouterr().out == ""  # JSON lines: no rows, no lines
    assert not (home / "ratelimit.slots").exists()
