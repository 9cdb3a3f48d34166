"""Retention and deletion: ``prune``, ``delete --user/--session``, ``vacuum`` and
``Client(retention_days=N)``. After every deletion the report tables must equal a recount
from scratch (the facts a fresh build would give, and the brute-force figures)."""

from __future__ import annotations

import contextlib
import math
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.cli.retention import _describe
from helicone_lite.reports import Reports
from helicone_lite.store import Store, iso_from_epoch
from helicone_lite.store._retention import count_requests
from helicone_lite.testing import Clock, FakeProvider, Reply
from tests.reports.brute import figures
from tests.reports.conftest import T0, generate

from .conftest import KEY, run_cli, run_tty

FACT_CHECKS = {  # each fact table against the join it stands for
    "property_facts": (
        "SELECT name, value, created_at, id, model, user_id, cost_usd FROM property_facts",
        "SELECT p.name, p.value, r.created_at, r.id, r.model, r.user_id, r.cost_usd "
        "FROM request_properties p JOIN requests r ON r.id = p.request_id "
        "WHERE p.value IS NOT NULL",
    ),
    "score_facts": (
        "SELECT id, name, value, model, user_id FROM score_facts",
        "SELECT s.request_id, s.name, s.value, r.model, r.user_id "
        "FROM scores s JOIN requests r ON r.id = s.request_id",
    ),
    "score_property_facts": (
        "SELECT name, value, score, id, score_value FROM score_property_facts",
        "SELECT p.name, p.value, s.name AS score, s.request_id, s.value AS score_value "
        "FROM scores s "
        "JOIN requests r ON r.id = s.request_id "
        "JOIN request_properties p ON p.request_id = s.request_id WHERE p.value IS NOT NULL",
    ),
}
ORPHANS = (
    "SELECT count(*) AS n FROM request_properties WHERE request_id NOT IN (SELECT id FROM requests)",
    "SELECT count(*) AS n FROM scores WHERE request_id NOT IN (SELECT id FROM requests)",
    "SELECT count(*) AS n FROM attempts WHERE request_id NOT IN (SELECT id FROM requests)",
)


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in store.query(sql))


def assert_consistent(path: Path, remaining: list[dict[str, Any]]) -> None:
    """Facts equal a rebuild, nothing orphaned, reports equal the brute-force recount."""
    store = Store(path)
    try:
        for facts, rebuilt in FACT_CHECKS.values():
            assert _rows(store, facts) == _rows(store, rebuilt)
        for sql in ORPHANS:
            assert store.query(sql)[0]["n"] == 0
        reports = Reports(store)
        ids = {r["id"] for r in store.query("SELECT id FROM requests")}
        assert ids == {r["id"] for r in remaining}
        by_user: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for row in remaining:
            by_user[row["user_id"]].append(row)
        users = {u.user_id: u for u in reports.users(limit=None)}
        assert set(users) == set(by_user)
        for user, rows in by_user.items():
            want = figures(rows)
            assert users[user].requests == want["requests"]
            assert math.isclose(users[user].cost_usd, want["cost_usd"], abs_tol=1e-9)
            assert users[user].errors == want["errors"]
        departments: dict[str, int] = defaultdict(int)
        for row in remaining:
            departments[row["properties"]["department"]] += 1
        by_department = {g.key: g.requests for g in reports.properties("department")}
        assert by_department == dict(departments)
    finally:
        store.close()


def test_prune_and_deletions_keep_the_reports_exact(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    data = generate(home / "helicone.db", n=600)
    data.store.close()
    rows = list(data.rows)
    cutoff = iso_from_epoch(T0 - 7 * 86400)

    done = run_cli("prune", "--older-than", cutoff, "--yes", "--home", str(home))
    assert done.returncode == 0, done.stderr
    gone = [r for r in rows if r["created_at"] < cutoff]
    assert f"removed {len(gone):,} requests" in done.stdout
    rows = [r for r in rows if r["created_at"] >= cutoff]
    assert_consistent(home / "helicone.db", rows)

    done = run_cli("delete", "--user", "patient-7829", "--yes", "--home", str(home), "--json")
    assert done.returncode == 0, done.stderr
    removed = [r for r in rows if r["user_id"] == "patient-7829"]
    assert f'"requests": {len(removed)}' in done.stdout
    rows = [r for r in rows if r["user_id"] != "patient-7829"]
    assert_consistent(home / "helicone.db", rows)

    session = next(r["session_id"] for r in rows if r["session_id"])
    done = run_cli("delete", "--session", session[:4], "--yes", "--home", str(home))
    assert done.returncode == 2 and "several session ids" in done.stderr  # s-0… is ambiguous
    done = run_cli("delete", "--session", session, "--yes", "--home", str(home))
    assert done.returncode == 0, done.stderr
    rows = [r for r in rows if r["session_id"] != session]
    assert_consistent(home / "helicone.db", rows)

    done = run_cli("vacuum", "--home", str(home), "--json")
    assert done.returncode == 0, done.stderr
    assert_consistent(home / "helicone.db", rows)


def test_delete_asks_first_and_says_what_it_removes(fake: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    for user in ("bob", "bob", "carol"):
        fake.enqueue(Reply(text="ok"))
        rid = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"Helicone-User-Id": user, "Helicone-Property-Team": "a"},
        ).headers["Helicone-Id"]
    client.feedback(rid, True)
    client.close()
    refused = run_cli("delete", "--user", "carol", "--home", str(home), stdin="n\n")
    assert refused.returncode == 1 and "nothing deleted" in refused.stderr
    assert "user carol: 1 request, 1 property, 1 score in " in refused.stderr
    assert "[y/N]" in refused.stderr
    kept = run_cli("requests", "--user", "carol", "--json", "--home", str(home))
    assert len(kept.stdout.splitlines()) == 1
    agreed = run_cli("delete", "--user", "carol", "--home", str(home), stdin="y\n")
    assert agreed.returncode == 0, agreed.stderr
    assert agreed.stdout.startswith("removed 1 request, 1 property, 1 score from ")
    left = run_cli("users", "--json", "--home", str(home)).stdout
    assert '"bob"' in left and "carol" not in left


def test_yes_counts_only_the_requests_and_reports_what_went(tmp_path: Path) -> None:
    """With ``--yes`` nothing is asked, so only the requests are counted beforehand (for the
    progress line): the full plan looks up every matching request's rows. The report after
    the deletion still says everything that went."""
    home = tmp_path / "home"
    home.mkdir()
    data = generate(home / "helicone.db", n=300)
    rows = list(data.rows)
    cutoff = iso_from_epoch(T0 - 7 * 86400)
    full = count_requests(data.store, before=cutoff)
    only = count_requests(data.store, before=cutoff, requests_only=True)
    data.store.close()
    gone = [r for r in rows if r["created_at"] < cutoff]
    assert full.requests == only.requests == len(gone) > 0
    assert full.properties > 0 and (only.properties, only.scores, only.session_scores) == (0, 0, 0)
    done = run_cli("prune", "--older-than", cutoff, "--yes", "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert "requests before" not in done.stderr  # no plan printed, nothing asked
    assert done.stdout.startswith(f"removed {_describe(full.counts())} from ")
    assert_consistent(home / "helicone.db", [r for r in rows if r["created_at"] >= cutoff])


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_delete_user_forgets_their_cached_answers(
    fake: FakeProvider, home: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    extra = {"redis_url": redis_url} if redis_url else {}
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home, **extra)

    def ask(user: str, question: str) -> str:
        fake.enqueue(Reply(text=f"answer to {question}"))
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": question}],
            extra_headers={"Helicone-Cache-Enabled": "true", "Helicone-User-Id": user},
        )
        return str(reply.headers["Helicone-Cache"])

    assert ask("frank", "my diagnosis?") == "MISS"
    assert ask("gina", "her question") == "MISS"
    assert ask("frank", "my diagnosis?") == "HIT"
    client.flush()
    argv = ["delete", "--user", "frank", "--yes", "--home", str(home), "--json"]
    done = run_cli(*argv, *(["--redis-url", redis_url] if redis_url else []))
    assert done.returncode == 0, done.stderr
    assert '"requests": 2' in done.stdout and '"cache_entries": 1' in done.stdout
    assert ask("henry", "my diagnosis?") == "MISS"  # frank's answer is gone from the cache
    assert ask("henry", "her question") == "HIT"  # gina's is not
    client.close()


def test_client_retention_days_prunes_in_the_background(fake: FakeProvider, home: Path) -> None:
    clock = Clock(T0 - 40 * 86400)
    old = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home, clock=clock)
    for _ in range(3):
        fake.enqueue(Reply(text="old"))
        old.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
    clock.now = T0
    fake.enqueue(Reply(text="new"))
    recent = old.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "y"}]
    ).headers["Helicone-Id"]
    old.close()
    client = helicone_lite.Client(
        api_key=KEY, base_url=fake.openai_base_url, home=home, clock=clock, retention_days=30
    )
    timer = client._helicone_runtime.retention
    assert timer is not None and timer.wait_for(1, timeout=60)
    assert [r["id"] for r in client.store.query("SELECT id FROM requests")] == [recent]
    assert timer.removed.requests == 3
    client.close()
    assert not timer._thread.is_alive()  # close() stops it


@pytest.mark.parametrize("days", [0, -1, "30", True])
def test_retention_days_is_checked_before_any_call(days: object, home: Path) -> None:
    with pytest.raises(helicone_lite.OptionsError, match="retention_days"):
        helicone_lite.Client(
            api_key=KEY, base_url="http://127.0.0.1:9/v1", home=home, retention_days=days
        )


def _file_bytes(path: Path) -> bytes:
    """The store file and its WAL, as they are on disk."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_delete_user_leaves_no_byte_of_theirs_in_the_file(fake: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    for user, text in (("ivy-7413", "ivy's symptom 5521"), ("jon", "jon's question")):
        for _ in range(3):
            fake.enqueue(Reply(text=f"about {text}"))
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": text}],
                extra_headers={"Helicone-User-Id": user, "Helicone-Property-Team": "a"},
            )
    client.close()
    path = home / "helicone.db"
    assert b"ivy-7413" in _file_bytes(path) and b"symptom 5521" in _file_bytes(path)
    done = run_cli("delete", "--user", "ivy-7413", "--yes", "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert "note:" not in done.stderr  # nobody else was reading: the WAL was emptied
    assert "deleting:" not in done.stderr  # no progress line when piped
    assert path.with_name("helicone.db-wal").stat().st_size == 0
    left = _file_bytes(path)
    assert b"ivy-7413" not in left and b"symptom 5521" not in left  # secure_delete
    assert b"jon's question" in left


def test_deletion_reports_progress_and_restores_the_connection(tmp_path: Path) -> None:
    from helicone_lite.store._retention import delete_requests

    data = generate(tmp_path / "helicone.db", n=120)
    store = data.store
    conn = store.connect()
    settings = ("cache_size", "wal_autocheckpoint", "busy_timeout")
    before = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in settings}
    conn.execute("PRAGMA secure_delete = FAST")
    user = data.rows[0]["user_id"]
    want = sum(1 for r in data.rows if r["user_id"] == user)
    seen: list[int] = []
    removed = delete_requests(store, user=user, batch=4, progress=seen.append)
    assert removed.requests == want > 8
    assert seen == sorted({*range(4, want, 4), want})  # after each batch of 4
    assert removed.wal_emptied
    after = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in settings}
    assert after == before
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 2  # FAST, as it was
    rows = [r for r in data.rows if r["user_id"] != user]
    store.close()
    assert_consistent(tmp_path / "helicone.db", rows)


def test_delete_counts_progress_on_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    data = generate(home / "helicone.db", n=200)
    data.store.close()
    want = sum(1 for r in data.rows if r["user_id"] == "patient-7829")
    status, text = run_tty("delete", "--user", "patient-7829", "--yes", "--home", str(home))
    assert status == 0, text
    assert f"\rdeleting: {want:,} of {want:,} requests\n" in text
    assert f"removed {want:,} requests" in text


def test_deletion_inside_a_transaction_leaves_the_wal_for_later(tmp_path: Path) -> None:
    from helicone_lite.store._retention import delete_requests

    data = generate(tmp_path / "helicone.db", n=60)
    user = data.rows[0]["user_id"]
    with data.store.transaction():  # no checkpoint can run in it: the deletion still does
        removed = delete_requests(data.store, user=user, batch=5)
    assert removed.requests == sum(1 for r in data.rows if r["user_id"] == user)
    assert removed.wal_emptied is False
    assert not data.store.query("SELECT id FROM requests WHERE user_id = ?", [user])
    data.store.close()


@pytest.mark.parametrize("backend", ["local", "redis"])
def test_delete_user_forgets_their_rate_limit_buckets(
    fake: FakeProvider, home: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # a privacy request: the user's buckets (and their id in the bucket store) go too
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    extra = {"redis_url": redis_url} if redis_url else {}
    client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home, **extra)
    for user in ("kim-3391", "lee"):
        fake.enqueue(Reply(text="ok"))
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={
                "Helicone-User-Id": user,
                "Helicone-RateLimit-Policy": "10;w=3600;s=user",
            },
        )
    client.close()
    with_redis = ["--redis-url", redis_url] if redis_url else []
    listed = run_cli("limits", "--home", str(home), "--json", *with_redis)
    assert "kim-3391" in listed.stdout and "lee" in listed.stdout
    done = run_cli("delete", "--user", "kim-3391", "--yes", "--home", str(home), *with_redis)
    assert done.returncode == 0, done.stderr
    assert "1 rate-limit bucket" in done.stdout
    listed = run_cli("limits", "--home", str(home), "--json", *with_redis)
    assert "kim-3391" not in listed.stdout and "user=lee" in listed.stdout
    if backend == "local":
        assert b"kim-3391" not in (home / "ratelimit.names").read_bytes()


def test_vacuum_page_size_rewrites_an_older_store_with_8_kib_pages(tmp_path: Path) -> None:
    """A store made before 8 KiB pages keeps 4 KiB ones (a WAL file's page size is fixed)
    until ``vacuum --page-size 8192``, which needs the file to itself."""
    home = tmp_path / "home"
    home.mkdir()
    path = home / "helicone.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:  # an older release's new file
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = WAL")
    data = generate(path, n=300)
    data.store.close()

    def page_size() -> tuple[int, str]:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return (
                conn.execute("PRAGMA page_size").fetchone()[0],
                conn.execute("PRAGMA journal_mode").fetchone()[0],
            )

    assert page_size() == (4096, "wal")
    assert run_cli("vacuum", "--page-size", "1000", "--home", str(home)).returncode != 0
    with contextlib.closing(sqlite3.connect(path)) as other:  # another process's connection
        other.execute("SELECT count(*) FROM requests").fetchone()
        busy = run_cli("vacuum", "--page-size", "8192", "--home", str(home))
        assert busy.returncode != 0 and "another process uses the store" in busy.stderr
    assert page_size() == (4096, "wal")
    done = run_cli("vacuum", "--page-size", "8192", "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert page_size() == (8192, "wal")
    assert_consistent(path, list(data.rows))
