"""The score rollups (schema v17) A/B in the same minutes: the reports whose mean scores it
answers, each timed reading ``rollup_scores`` and with that read turned off (exactly
``main``'s path: the means from ``score_facts``), alternately, on one existing store.

    python benchmarks/bench_score_rollup.py /tmp/reports.db             # bench_reports.py --keep
    python benchmarks/bench_score_rollup.py 'postgresql://...?options=-csearch_path%3Dbench_large' \
        --pg-data /tmp/hl-pg-xxxx/data                                  # bench_pg_scale.py --reuse
    ... --dense    # first give every request an accuracy score (1,050,000 scores on
                   # 1,000,000 requests: the score density of the 10,000,000-request store)

CPU: this process (SQLite runs in it) and, with ``--pg-data``, the postmaster of that data
directory and its children (from ``/proc``: 10 ms ticks; best and mean of ``--repeat``).
The store is migrated when opened (the backfill). Means are checked equal both ways.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helicone_lite.reports import Filters, Reports, _scores
from helicone_lite.store import Store


def server_cpu(data: Path | None) -> float:
    """CPU seconds of the PostgreSQL server of data directory ``data`` (0 without one)."""
    if data is None:
        return 0.0
    master = (data / "postmaster.pid").read_text().split()[0]
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in Path("/proc").iterdir():
        if not pid.name.isdigit():
            continue
        try:
            fields = (pid / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid.name == master or fields[1] == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def densify(store: Store) -> None:
    """An accuracy score on every request that has none (through the triggers)."""
    value = "abs(random() % 61) + 40" if store.engine == "sqlite" else "40 + floor(random() * 61)"
    began = time.perf_counter()
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO scores (request_id, name, value, value_type) "
            f"SELECT id, 'accuracy', {value}, 'int' FROM requests r WHERE NOT EXISTS "
            "(SELECT 1 FROM scores s WHERE s.request_id = r.id AND s.name = 'accuracy')"
        )
    print(f"scores added in {time.perf_counter() - began:.0f} s wall")


def _means(found: Any) -> list[dict[str, float]]:
    return [r.scores for r in (found if isinstance(found, list) else [found])]


def _same(a: Any, b: Any) -> bool:
    pairs = list(zip(_means(a), _means(b), strict=True))
    return all(
        x.keys() == y.keys() and all(math.isclose(x[k], y[k], rel_tol=1e-9) for k in x)
        for x, y in pairs
    )


def run(store: Store, repeat: int, data: Path | None) -> None:
    reports = Reports(store)
    counts = [
        store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]
        for table in ("score_facts", "rollup_scores", "score_property_facts")
    ]
    counts.append(store.query("SELECT count(*) AS n FROM rollup_property_scores")[0]["n"])
    print(
        "{:,} score facts, {:,} rollup_scores rows, {:,} score property facts, {:,} "
        "rollup_property_scores rows; best (mean) of {}:".format(*counts, repeat)
    )
    week, errors = Filters(since="7d"), Filters(status="error")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("models", lambda: reports.models()),
        ("providers", lambda: reports.providers()),
        ("models, status=error", lambda: reports.models(errors)),
        ("summary", lambda: reports.summary()),
        ("summary, status=error", lambda: reports.summary(errors)),
        ("summary, last 7 days", lambda: reports.summary(week)),
        ("models, last 7 days", lambda: reports.models(week)),
        ("properties department", lambda: reports.properties("department")),
        ("properties department, 7 days", lambda: reports.properties("department", week)),
    ]
    namespace = vars(_scores)  # score_means looks rolled_means up here
    rolled = namespace["rolled_means"]
    ways: dict[str, Callable[..., Any]] = {"main": lambda *a, **k: None, "branch": rolled}
    for name, case in cases:
        best = {way: [math.inf, math.inf] for way in ways}
        mean = {way: [0.0, 0.0] for way in ways}
        found: dict[str, Any] = {}
        for _ in range(repeat):
            for way, means in ways.items():
                namespace["rolled_means"] = means
                server, client = server_cpu(data), time.process_time()
                found[way] = case()
                spent = (time.process_time() - client, server_cpu(data) - server)
                for i in (0, 1):
                    best[way][i] = min(best[way][i], spent[i])
                    mean[way][i] += spent[i] / repeat
        namespace["rolled_means"] = rolled
        figures = "   ".join(
            f"{way} {best[way][0] * 1000:5.0f} + {best[way][1] * 1000:5.0f} ms "
            f"({mean[way][0] * 1000:.0f} + {mean[way][1] * 1000:.0f})"
            for way in ways
        )
        print(f"  {name:<30} {figures}   same means: {_same(found['main'], found['branch'])}")
    print("load average", " ".join(f"{x:.1f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a SQLite path or a PostgreSQL URL")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--pg-data", type=Path, help="the server's data directory (its CPU)")
    parser.add_argument("--dense", action="store_true", help="an accuracy score on every request")
    args = parser.parse_args()
    store = Store(args.store)
    try:
        if args.dense:
            densify(store)
        run(store, args.repeat, args.pg_data)
    finally:
        store.close()


if __name__ == "__main__":
    main()
