"""What the CLI says after a deletion, an export, a reprice or in a summary: counts agree
with their noun ("1 request", "2 requests", "1 cache entry"), and ``delete`` says nothing about
a cache that holds nothing of theirs (it said "0 cache entries", with no cache at all)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Reply

from .conftest import KEY, run_cli


def _ask(client: helicone_lite.Client, fake: FakeProvider, user: str, **headers: str) -> str:
    fake.enqueue(Reply(text="ok", prompt_tokens=1, completion_tokens=0))
    reply = client.chat.completions.create(
        model="house-blend",  # no price: one request of unknown cost
        messages=[{"role": "user", "content": f"hi from {user}"}],
        extra_headers={"Helicone-User-Id": user, "Helicone-Property-Team": "a", **headers},
    )
    return str(reply.headers["Helicone-Id"])


@pytest.fixture
def one(fake: FakeProvider, home: Path) -> Iterator[Path]:
    """A home with one call by carol (one property, one score) and no cache."""
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    try:
        rid = _ask(client, fake, "carol")
        client.flush()
        client.feedback(rid, True)
    finally:
        client.close()
    yield home


def test_delete_of_one_request_without_a_cache(one: Path) -> None:
    db = one / "helicone.db"
    refused = run_cli("delete", "--user", "carol", "--home", str(one), stdin="n\n")
    assert f"user carol: 1 request, 1 property, 1 score in {db}\n" in refused.stderr
    done = run_cli("delete", "--user", "carol", "--home", str(one), stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"removed 1 request, 1 property, 1 score from {db}\n"
    again = run_cli("delete", "--user", "carol", "--yes", "--home", str(one))
    assert again.stdout == f"removed nothing from {db}\n"
    machine = run_cli("delete", "--user", "carol", "--yes", "--json", "--home", str(one))
    assert json.loads(machine.stdout)["cache_entries"] == 0  # the machine shape keeps it


def test_prune_of_one_request(one: Path) -> None:
    done = run_cli("prune", "--older-than", "2999-01-01", "--yes", "--home", str(one))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"removed 1 request, 1 property, 1 score from {one / 'helicone.db'}\n"


def test_delete_counts_one_cache_entry(fake: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    try:
        _ask(client, fake, "frank", **{"Helicone-Cache-Enabled": "true"})
        client.flush()
    finally:
        client.close()
    done = run_cli("delete", "--user", "frank", "--yes", "--home", str(home))
    assert (
        done.stdout == f"removed 1 request, 1 property, 1 cache entry from {home / 'helicone.db'}\n"
    )


def test_one_request_reads_in_the_singular(one: Path, tmp_path: Path) -> None:
    costs = run_cli("costs", "--home", str(one))
    assert "1 request of unknown cost, not counted as $0:" in costs.stderr, costs.stderr
    target = tmp_path / "out.jsonl"
    export = run_cli("export", "jsonl", "-o", str(target), "--home", str(one))
    assert f"exported 1 request to {target}" in export.stderr
    reprice = run_cli("reprice", "--dry-run", "--home", str(one))
    assert reprice.stdout == "would change 0 rows; 1 row still of unknown cost\n"
