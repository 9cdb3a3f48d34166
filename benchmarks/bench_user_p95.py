"""The users report's p95 on a big store, by path: merged day streams, the user's entries
sorted, or the chosen mix (``MERGE_FROM``), in CPU time (``time.process_time``), best of
``--repeat``, for the top 50 and every user, over 7 days and the whole log.

    python benchmarks/bench_user_p95.py /tmp/cli1m.db          # a store of this schema

Opens ``STORE`` read-write (a store of an older schema is migrated: give it a copy).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helicone_lite.reports import Filters, Reports, _p95
from helicone_lite.store import Store

MODES = {"chosen": _p95.MERGE_FROM, "merged": 0, "sorted": 10**9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store = Store(args.store)
    [row] = store.query("SELECT max(created_at) AS t FROM requests")
    now = time.time()
    print(f"{'range':<10} {'users':>6} " + " ".join(f"{m:>10}" for m in MODES))
    for label, since in (("7 days", "7d"), ("all", None)):
        for limit in (50, None):
            cells, answers = [], []
            for merge_from in MODES.values():
                _p95.MERGE_FROM = merge_from
                reports = Reports(store, clock=lambda: now, rollups=True)
                best, found = float("inf"), []
                for _ in range(args.repeat):
                    began = time.process_time()
                    found = reports.users(Filters(since=since), limit=limit, with_scores=False)
                    best = min(best, time.process_time() - began)
                cells.append(f"{best * 1000:7.1f} ms")
                answers.append([(r.user_id, r.p95_latency_ms) for r in found])
            assert all(a == answers[0] for a in answers), "the paths disagree"
            print(f"{label:<10} {len(found):>6} " + " ".join(f"{c:>10}" for c in cells))
    print(f"(newest request {row['t']}; MERGE_FROM {MODES['chosen']})")
    store.close()


if __name__ == "__main__":
    main()
