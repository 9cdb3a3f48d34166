"""Every ``helicone-lite`` command on a big store: each must answer within a second on
1,000,000 requests (``vacuum`` and whole-log ``export`` excepted: they are O(size)).

Builds the store with ``bench_reports.generate`` (executemany straight into the real schema:
90 days, 2,000 users, sessions, properties, scores), then times each command two ways:

* in process: ``helicone_lite.cli.main(argv)`` with stdout captured (the command's own work:
  opening the store, its queries, formatting), best of ``--repeat``;
* as a user runs it: ``python -m helicone_lite ARGV`` in a subprocess (adds the interpreter
  start and ``import helicone_lite``, about 0.3-0.8 s of CPU on its own, printed as
  ``startup`` for reference).

It also prints each listing query's ``EXPLAIN QUERY PLAN`` (every one reads an index).

    python benchmarks/bench_cli.py                       # 1,000,000 rows in a temporary dir
    python benchmarks/bench_cli.py -n 200000 --keep /tmp/cli.db   # reused if present
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reports import generate

from helicone_lite.cli import main
from helicone_lite.store import Store


def commands(store: Store) -> list[list[str]]:
    """The read commands as people run them (ids taken from the store)."""
    some = store.query(
        "SELECT id, user_id, session_id FROM requests WHERE session_id IS NOT NULL "
        "ORDER BY created_at DESC LIMIT 1"
    )[0]
    return [
        ["requests"],
        ["requests", "--user", some["user_id"]],
        ["requests", "--model", "gpt-4o"],
        ["requests", "--status", "error"],
        ["requests", "--cache", "hit"],
        ["requests", "--property", "department=cardiology"],
        ["requests", "--since", "24h", "-n", "100"],
        ["requests", "show", some["id"][:13]],
        ["sessions"],
        ["sessions", "show", some["session_id"]],
        ["users"],
        ["properties"],
        ["properties", "department"],
        ["costs"],
        ["costs", "--every", "day"],
        ["scores"],
        ["alerts"],
        ["query", "SELECT model, count(*) FROM requests GROUP BY model"],
        ["export", "csv", "--since", "1h"],
        ["prompts", "list"],
        ["info"],
    ]


def writes(store: Store) -> list[list[str]]:
    """Deletions (they change the store: run last, once each)."""
    user = store.query(
        "SELECT user_id, count(*) AS n FROM requests INDEXED BY idx_requests_user "
        "GROUP BY user_id ORDER BY n LIMIT 1"
    )[0]["user_id"]
    session = store.query(
        "SELECT session_id FROM requests WHERE session_id IS NOT NULL "
        "ORDER BY created_at DESC LIMIT 1"
    )[0]["session_id"]
    return [
        ["delete", "--user", user, "--yes"],
        ["delete", "--session", session, "--yes"],
        ["prune", "--older-than", "89d", "--yes"],
    ]


def in_process(argv: list[str], home: Path, repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds (CPU: what the command costs, whatever the machine's load)."""
    best, best_cpu = math.inf, math.inf
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main([*argv, "--home", str(home)])
        best = min(best, time.perf_counter() - began)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        if code != 0:
            raise SystemExit(f"{argv}: exit {code}")
    return best, best_cpu


def as_user(argv: list[str], home: Path) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "helicone_lite", *argv, "--home", str(home)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def plans(store: Store) -> None:
    from helicone_lite.cli.requests import newest_ids
    from helicone_lite.reports import Filters

    print("query plans of the requests listing (the newest ids, then those rows by id):")
    for label, filters in (
        ("no filter", Filters()),
        ("--user x", Filters(user="x")),
        ("--model x", Filters(model="x")),
        ("--cache hit", Filters(cache_status="HIT")),
        ("--property a=b", Filters(properties={"a": "b"})),
        ("--since 24h", Filters(since="24h")),
    ):
        sql, params = newest_ids(filters, time.time())
        found = store.query(f"EXPLAIN QUERY PLAN {sql}", [*params, 20])
        print(f"  {label:<16} {'; '.join(r['detail'] for r in found)}")


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="requests in the store")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command (best kept)")
    parser.add_argument("--keep", type=Path, help="store path to keep and reuse")
    parser.add_argument("--writes", action="store_true", help="only the deletions (on a copy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        path = home / "helicone.db"
        if args.keep is not None and args.keep.exists():
            shutil.copy(args.keep, path)
        else:
            began = time.perf_counter()
            print(f"generating {args.n:,} requests …")
            generate(path, args.n)
            print(f"  {time.perf_counter() - began:.0f} s")
            if args.keep is not None:
                shutil.copy(path, args.keep)
        store = Store(path)
        total = store.query("SELECT count(*) AS n FROM requests")[0]["n"]
        if not args.writes:
            plans(store)
        startup = as_user(["--help"], home)
        print(f"{total:,} requests; startup (python -m helicone_lite --help): {startup:.2f} s")
        print(f"  {'command':<52} {'in process':>10} {'CPU':>8} {'as run':>8}")
        slow = []
        for argv in [*([] if args.writes else commands(store)), *writes(store)]:
            repeat = 1 if argv[0] in ("delete", "prune") else args.repeat
            own, cpu = in_process(argv, home, repeat)
            whole = as_user(argv, home) if repeat > 1 else math.nan
            flag = "" if own < 1.0 else "  <-- over 1 s"
            if own >= 1.0:
                slow.append(" ".join(argv))
            label = " ".join(argv)[:52]
            print(f"  {label:<52} {own * 1000:7.0f} ms {cpu * 1000:5.0f} ms {whole:7.2f} s{flag}")
        store.close()
    print("every command under 1 s" if not slow else f"over budget: {', '.join(slow)}")


if __name__ == "__main__":
    main_()
