"""``helicone-lite migrate --to postgresql://...``: a SQLite store copied, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.cli import main
from helicone_lite.store import Store

RowFactory = Callable[..., dict[str, Any]]


def _fill(home: Path, make_row: RowFactory) -> None:
    with Store(home / "helicone.db") as store:
        for i in range(1500):
            store.write(
                "requests",
                make_row(
                    id=f"r{i:04d}",
                    user_id=f"u{i % 3}",
                    session_id=f"s{i % 7}",
                    cost_usd=0.001 * i,
                    properties={"dept": "cardio" if i % 2 else "neuro"},
                    attempts=[{"status": 200}],
                ),
            )
        store.flush()
        registry = helicone_lite.PromptRegistry(store)
        registry.create("triage", messages=[{"role": "system", "content": "v1"}])
        registry.update("triage", messages=[{"role": "system", "content": "v2"}])
        registry.deploy("triage", 1)
        registry.deploy("triage", 2)
        helicone_lite.Reports(store).score("r0001", {"accuracy": 90})
        with store.transaction() as conn:
            conn.execute("INSERT INTO alert_events (alert_id, value) VALUES ('a', 1.5)")


def test_migrate_copies_everything_once(
    home: Path, postgres_url: str, make_row: RowFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(home, make_row)
    for _ in range(2):  # a second run copies nothing twice
        assert main(["--home", str(home), "migrate", "--to", postgres_url]) == 0
    out = capsys.readouterr().out
    assert "requests: 1500 -> 1500 ok" in out and "MISSING" not in out
    with Store(home / "helicone.db") as old, Store(postgres_url) as new:
        for table in ("requests", "request_properties", "attempts", "scores", "prompts",
                      "prompt_versions", "prompt_environments", "prompt_deployments",
                      "alert_events"):  # fmt: skip
            count = f"SELECT count(*) AS n FROM {table}"
            assert old.query(count) == new.query(count), table
        before, after = helicone_lite.Reports(old), helicone_lite.Reports(new)
        # the same reports (sums of floats may differ in the last bit: order of addition)
        old_sum, new_sum = before.summary(), after.summary()
        assert (old_sum.requests, old_sum.errors) == (new_sum.requests, new_sum.errors)
        assert old_sum.cost_usd == pytest.approx(new_sum.cost_usd)
        assert [(u.user_id, u.requests) for u in before.users()] == [
            (u.user_id, u.requests) for u in after.users()
        ]
        assert [(p.key, p.requests) for p in before.properties("dept")] == [
            (p.key, p.requests) for p in after.properties("dept")
        ]
        # the session rollup: derived by the target's triggers, not copied (twice over)
        kept = "SELECT session_id, requests FROM rollup_sessions ORDER BY 1"
        assert (
            old.query(kept)
            == new.query(kept)
            == [{"session_id": f"s{i}", "requests": 215 if i < 2 else 214} for i in range(7)]
        )
        # the score rollup: derived from the target's score facts, not copied (twice over)
        kept = "SELECT hour, model, provider, status, name, total, n FROM rollup_scores"
        assert old.query(kept) == new.query(kept) and len(new.query(kept)) == 1
        assert old_sum.scores == new_sum.scores == {"accuracy": 90.0}
        # the property rollup per model: derived by the target's triggers, not copied
        kept = (
            "SELECT name, model, provider, nulls, value, hour, requests "
            "FROM rollup_property_models ORDER BY 1, 2, 3, 4, 5, 6"
        )
        assert old.query(kept) == new.query(kept) and len(new.query(kept)) > 0
        by_model = helicone_lite.Filters(model=old.query(kept)[0]["model"])
        assert [(p.key, p.requests) for p in before.properties("dept", by_model)] == [
            (p.key, p.requests) for p in after.properties("dept", by_model)
        ]
        # the property rollup per user (PostgreSQL's only): derived by the target's triggers
        kept = (
            "SELECT name, value, user_id, nulls, hour, requests "
            "FROM rollup_property_users ORDER BY 1, 2, 3, 4, 5"
        )
        assert len(new.query(kept)) > 0
        one_value = helicone_lite.Filters(properties={"dept": new.query(kept)[0]["value"]})
        assert [(u.user_id, u.requests, u.p95_latency_ms) for u in before.users(one_value)] == [
            (u.user_id, u.requests, u.p95_latency_ms) for u in after.users(one_value)
        ]
        assert [s.session_id for s in before.sessions(sort="cost")] == [
            s.session_id for s in after.sessions(sort="cost")
        ]
        registry = helicone_lite.PromptRegistry(new)
        assert registry.get("triage").version == 2
        assert registry.rollback("triage").to_version == 1  # history came along
        assert [d.id for d in registry.history("triage")][-1] == 3  # ids continue
