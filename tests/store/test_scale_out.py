"""Three "machines" (processes with separate homes) against one PostgreSQL and one Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scale_workers import deploy, machine

import helicone_lite
from helicone_lite.store import Store
from helicone_lite.testing import FakeProvider
from tests.processes import forkserver, process


def _run(target: Any, *args: Any) -> list[Any]:
    ctx = forkserver()
    results = ctx.Queue()
    procs = [process(ctx, target, (*a, results)) for a in args]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return out


@pytest.mark.usefixtures("postgres_server")
def test_three_machines_share_log_prompts_costs_and_limits(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    homes = [str(tmp_path / f"machine-{i}") for i in range(3)]
    with Store(postgres_url) as store:
        registry = helicone_lite.PromptRegistry(store)
        registry.create("triage", messages=[{"role": "system", "content": "v1"}])
        registry.deploy("triage", 1)
    with FakeProvider() as fake:
        url = fake.openai_base_url
        args = [(i, homes[i], postgres_url, redis_url, url, 8, "u-shared") for i in range(3)]
        first = _run(machine, *args)
        assert _run(deploy, (homes[0], postgres_url)) == [2]
        args = [(i, homes[i], postgres_url, redis_url, url, 1, "u-after") for i in (1, 2)]
        after = _run(machine, *args)
    # rate limits hold exactly across machines: 15 of the 24 shared-user calls, not 3 x 15
    assert sum(a for _, a, _ in first) == 15 and sum(n for _, _, n in first) == 9
    assert sorted(a for _, a, _ in after) == [1, 1]
    with Store(postgres_url) as store:
        rows = store.query("SELECT user_id, status, prompt_version, cost_usd FROM requests")
        assert len(rows) == 26  # every call of every machine, once
        shared = [r for r in rows if r["user_id"] == "u-shared" and r["status"] == 200]
        assert len(shared) == 15 and {r["prompt_version"] for r in shared} == {1}
        # the deploy made on machine 0 is served by machines 1 and 2 on their next call
        later = [r for r in rows if r["user_id"] == "u-after"]
        assert [r["prompt_version"] for r in later] == [2, 2]
        reports = helicone_lite.Reports(store)
        users = {u.user_id: u for u in reports.users()}
        assert (users["u-shared"].requests, users["u-after"].requests) == (24, 2)
        expected = sum(r["cost_usd"] or 0.0 for r in rows if r["user_id"] == "u-shared")
        assert users["u-shared"].cost_usd == pytest.approx(expected)
        tree = reports.session("s-shared")
        assert tree.root.request_count == 26
        paths = {child.path for child in tree.root.children[0].children}
        assert paths == {"/triage/m0", "/triage/m1", "/triage/m2"}
