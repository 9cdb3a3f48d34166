"""Savings from the log, and the ``helicone-lite cache stats|clear`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helicone_lite.cache import money_saved
from helicone_lite.cli import main
from helicone_lite.testing import FakeProvider, Reply

from .conftest import CACHE, MakeClient, ask, rows


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    out: str = capsys.readouterr().out
    return out


def backend_args(home: Path, redis_or_none: str | None) -> list[str]:
    return [
        "--home",
        str(home),
        "cache",
        *(["--redis-url", redis_or_none] if redis_or_none else []),
    ]


def test_hit_rows_point_at_their_source_and_the_savings_add_up(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    fake.script(
        "gpt-4o-mini", Reply(text="Diabetes is…", prompt_tokens=1000, completion_tokens=500)
    )
    for _ in range(4):
        ask(client)
    miss, *hits = rows(client)
    assert miss["cost_usd"] > 0 and miss["cache_status"] == "MISS"
    for hit in hits:
        assert hit["cache_status"] == "HIT" and hit["cost_usd"] == 0
        assert hit["cache_reference_id"] == miss["id"]
        assert hit["provider"] == "openai" and hit["response_model"] == miss["response_model"]
        assert hit["prompt_tokens"] == 1000  # what the answer cost to make, for reporting
    assert money_saved(client.store) == pytest.approx(3 * miss["cost_usd"])


def test_cache_stats_json(
    make_client: MakeClient,
    fake: FakeProvider,
    home: Path,
    redis_or_none: str | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = make_client()
    fake.script("gpt-4o*", Reply(text="ok", prompt_tokens=2000, completion_tokens=100))
    seeded = {**CACHE, "Helicone-Cache-Seed": "tenant-a"}
    for _ in range(3):
        ask(client)
        ask(client, model="gpt-4o", extra_headers=seeded)
    ask(client, "another question")
    client.flush()
    report: dict[str, Any] = json.loads(
        cli(capsys, *backend_args(home, redis_or_none), "stats", "--json")
    )
    assert (report["entries"], report["buckets"]) == (3, 3)
    assert (report["lookups"], report["hits"], report["misses"]) == (7, 4, 3)
    assert report["hit_rate"] == pytest.approx(4 / 7, abs=1e-4)
    costs = {r["model"]: r["cost_usd"] for r in rows(client, "cache_status = 'MISS'")}
    assert report["saved_usd"] == pytest.approx(2 * costs["gpt-4o-mini"] + 2 * costs["gpt-4o"])
    assert report["by_model"]["gpt-4o"]["hits"] == 2
    assert report["by_model"]["gpt-4o"]["entries"] == 1
    assert report["by_model"]["gpt-4o-mini"]["entries"] == 2
    assert report["by_seed"]["tenant-a"]["saved_usd"] == pytest.approx(2 * costs["gpt-4o"])
    assert report["by_seed"]["(none)"]["entries"] == 2
    assert report["size_bytes"] > 0


def test_cache_stats_table(
    make_client: MakeClient,
    home: Path,
    redis_or_none: str | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = make_client()
    ask(client)
    ask(client)
    client.flush()
    out = cli(capsys, *backend_args(home, redis_or_none), "stats")
    assert "hit rate\t50.0%" in out and "money saved" in out  # piped: name<TAB>value
    assert "gpt-4o-mini\t" in out  # the by-model rows


def test_cache_clear_by_seed_then_model_then_all(
    make_client: MakeClient,
    home: Path,
    redis_or_none: str | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = make_client()
    for seed in ("a", "b"):
        for model in ("gpt-4o", "gpt-4o-mini"):
            for _ in range(2):  # a miss, then a hit (which this process now remembers)
                ask(client, model=model, extra_headers={**CACHE, "Helicone-Cache-Seed": seed})
    args = backend_args(home, redis_or_none)
    assert "removed 2 entries (seed 'a')" in cli(capsys, *args, "clear", "--seed", "a")
    again = ask(client, model="gpt-4o", extra_headers={**CACHE, "Helicone-Cache-Seed": "a"})
    assert again.headers["Helicone-Cache"] == "MISS"
    kept = ask(client, model="gpt-4o", extra_headers={**CACHE, "Helicone-Cache-Seed": "b"})
    assert kept.headers["Helicone-Cache"] == "HIT"
    assert "removed 2 entries (model 'gpt-4o')" in cli(capsys, *args, "clear", "--model", "gpt-4o")
    assert "removed 1 entry" in cli(capsys, *args, "clear")
    assert json.loads(cli(capsys, *args, "stats", "--json"))["entries"] == 0


def test_a_clear_from_another_process_reaches_a_running_client(
    make_client: MakeClient, home: Path, redis_or_none: str | None
) -> None:
    import subprocess
    import sys

    client = make_client()
    assert [ask(client).headers["Helicone-Cache"] for _ in range(3)] == ["MISS", "HIT", "HIT"]
    code = "import sys; from helicone_lite.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *backend_args(home, redis_or_none), "clear"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "removed 1 entry" in done.stdout, done.stderr
    assert ask(client).headers["Helicone-Cache"] == "MISS"


def test_cache_stats_on_a_fresh_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(tmp_path / "new"), "cache", "stats", "--json"]) == 1
    assert "no store at" in capsys.readouterr().err  # a read command never creates one
    assert not (tmp_path / "new").exists()
    assert "nothing to clear" in cli(capsys, "--home", str(tmp_path / "new"), "cache", "clear")
